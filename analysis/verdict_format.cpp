// The verdict as text (one block a claim, one line an evidence set) and as JSON (every field).
#include "analysis/analysis.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace detlab::analysis {
namespace {

const char* direction_name(Direction d) {
    switch (d) {
    case Direction::at_most:
        return "at_most";
    case Direction::at_least:
        return "at_least";
    case Direction::within:
        break;
    }
    return "within";
}

nlohmann::json margin_json(const Margin& m) {
    nlohmann::json out{
        {"direction", direction_name(m.direction)}, {"text", m.text}, {"source", m.source}};
    if (m.direction != Direction::at_most)
        out["low"] = m.low;
    if (m.direction != Direction::at_least)
        out["high"] = m.high;
    return out;
}

template <typename T>
nlohmann::json or_null(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json evidence_json(const Evidence& e) {
    nlohmann::json scope = nlohmann::json::object();
    for (const auto& [key, value] : e.scope)
        scope[key] = value;
    return {{"part", e.part},
            {"evidence_set", e.label},
            {"scope", scope},
            {"figure", e.figure},
            {"test", e.test},
            {"margin", margin_json(e.margin)},
            {"n", e.n},
            {"value", or_null(e.value)},
            {"interval",
             e.ci ? nlohmann::json::array({e.ci->low, e.ci->high}) : nlohmann::json(nullptr)},
            {"confidence", kConfidence},
            {"note", e.note},
            {"outcome", finding_name(e.finding)},
            {"n_to_decide", or_null(e.n_to_decide)},
            {"n_to_decide_note", e.n_note},
            {"stability", or_null(e.stability)},
            {"same_outcome_share", or_null(e.same_outcome)}};
}

nlohmann::json estimate_json(const Estimate& e) {
    return {{"value", or_null(e.value)},
            {"interval",
             e.ci ? nlohmann::json::array({e.ci->low, e.ci->high}) : nlohmann::json(nullptr)},
            {"n", e.n},
            {"note", e.note}};
}

// Claim 6's context: each study's full metric set, every figure with n and its interval.
nlohmann::json metric_sets_json(const std::vector<TrainingMetricSet>& sets) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& set : sets)
        out.push_back({{"study", set.label},
                       {"source", set.source},
                       {"runs", set.runs},
                       {"test_samples", set.test_samples},
                       {"accuracy_std_pp", estimate_json(set.accuracy_std_pp)},
                       {"cross_entropy_std", estimate_json(set.loss_std)},
                       {"prediction_disagreement_pct", estimate_json(set.disagreement)},
                       {"logit_correlation", estimate_json(set.logit_correlation)},
                       {"ensemble_gain_pp", estimate_json(set.ensemble_gain_pp)},
                       {"accuracy_std_ratio_to_reseed", estimate_json(set.accuracy_std_ratio)}});
    return out;
}

std::string share(const std::optional<double>& v) {
    if (!v)
        return "-";
    std::ostringstream out;
    out.precision(2);
    out << std::fixed << *v;
    return out.str();
}

} // namespace

std::string format_verdicts(const std::vector<ClaimVerdict>& list) {
    std::ostringstream out;
    for (const auto& v : list) {
        out << "Claim " << v.number << ": " << v.claim << "\n  tested:  " << v.tested
            << "\n  verdict: " << finding_name(v.finding);
        if (v.evidence_disagrees)
            out << " (the evidence sets disagree)";
        if (v.finding == Finding::undecided && v.n_to_decide)
            out << " at this n; about " << *v.n_to_decide << " runs would decide";
        out << "; stability " << share(v.stability) << "\n";
        for (const auto& m : v.margins)
            out << "  margin:  " << m.text << " (" << m.source << ")\n";
        for (const auto& t : v.tests)
            out << "  test:    " << t << "\n";
        for (const auto& e : v.evidence) {
            out << "  - " << e.label;
            for (const auto& [key, value] : e.scope)
                out << " " << key << "=" << value;
            out << "\n      " << e.figure << ": ";
            if (e.value) {
                out << share(e.value);
                if (e.ci)
                    out << " [" << share(e.ci->low) << ", " << share(e.ci->high) << "]";
                out << " n=" << e.n;
            } else {
                out << "not measured";
            }
            if (!e.note.empty())
                out << " (" << e.note << ")";
            out << " -> " << finding_name(e.finding);
            if (e.n_to_decide)
                out << "; n=" << *e.n_to_decide << " would decide (" << e.n_note << ")";
            else if (e.finding == Finding::undecided && !e.n_note.empty())
                out << "; " << e.n_note;
            out << "; stability " << share(e.stability) << ", same outcome "
                << share(e.same_outcome) << "\n";
        }
        if (!v.metric_sets.empty())
            out << "  metric set (Summers and Dinneen 2021; context, not the decision):\n";
        for (const auto& set : v.metric_sets)
            out << "    " << describe(set) << "\n";
    }
    return out.str();
}

std::string format_verdicts_json(const std::vector<ClaimVerdict>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : list) {
        nlohmann::json margins = nlohmann::json::array(), evidence = nlohmann::json::array();
        for (const auto& m : v.margins)
            margins.push_back(margin_json(m));
        for (const auto& e : v.evidence)
            evidence.push_back(evidence_json(e));
        out.push_back({{"claim", v.number},
                       {"text", v.claim},
                       {"tested", v.tested},
                       {"finding", finding_name(v.finding)},
                       {"outcome", finding_name(v.finding)},
                       {"margins", margins},
                       {"tests", v.tests},
                       {"n_to_decide", or_null(v.n_to_decide)},
                       {"stability", or_null(v.stability)},
                       {"evidence_disagrees", v.evidence_disagrees},
                       {"evidence", evidence},
                       {"metric_sets", metric_sets_json(v.metric_sets)},
                       {"because", v.because}});
    }
    return out.dump(2) + "\n";
}

} // namespace detlab::analysis
