// The cross-domain comparison table and its text, CSV, JSON and Markdown renderings.
#include "analysis/analysis.h"
#include "analysis/internal.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace detlab::analysis {
namespace {

std::string printf_string(const char* format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

// Percentages with enough digits to show a single flipped bit among a million.
std::string percent(std::optional<double> fraction) {
    if (!fraction)
        return "-";
    double pct = *fraction * 100;
    if (pct == 0 || pct >= 1)
        return printf_string("%.1f%%", pct);
    return printf_string("%.3g%%", pct);
}

std::string bound_text(const Interval& ci, double scale) {
    return printf_string("%.3g", ci.low * scale) + "-" + printf_string("%.3g", ci.high * scale);
}

// "0/19 (<=14.6%)": k of n runs differ from the first, with the exact bound or interval on
// the chance that a further run differs.
std::string differ_cell(const std::optional<Proportion>& p) {
    if (!p)
        return "-";
    std::string counts = std::to_string(p->k) + "/" + std::to_string(p->n);
    if (p->k == 0)
        return counts + " (<=" + percent(p->ci.high) + ")";
    if (p->k == p->n)
        return counts + " (>=" + percent(p->ci.low) + ")";
    return counts + " (" + bound_text(p->ci, 100) + "%)";
}

// "12.3% [10.1-14.2] n=20"; no interval: the reason instead.
std::string estimate_cell(const Estimate& e, double scale, const std::string& unit,
                          const std::string& missing = "-") {
    if (!e.value)
        return e.note.empty() ? missing : e.note;
    std::string value = *e.value == 0 ? "0" : printf_string("%.3g", *e.value * scale);
    std::string out = value + unit;
    if (e.ci)
        out += " [" + bound_text(*e.ci, scale) + "]";
    else if (!e.note.empty())
        out += " (" + e.note + ")";
    return out + " n=" + std::to_string(e.n);
}

std::string notes_cell(const ComparisonRow& row) {
    if (!row.warnings.empty())
        return "WARNING: " + row.warnings.front();
    std::string out;
    for (const auto& n : row.notes)
        out += (out.empty() ? "" : "; ") + n;
    return out;
}

// Runs compared, then those left out: "3 (+1 failed) (+1 damaged)".
std::string runs_cell(const ComparisonRow& row) {
    std::string out = std::to_string(row.runs);
    if (row.failed)
        out += " (+" + std::to_string(row.failed) + " failed)";
    if (!row.damaged.empty())
        out += " (+" + std::to_string(row.damaged.size()) + " damaged)";
    return out;
}

// "+3.1 MHz [1.2, 5.0] #1": the difference from the baseline's mean, its interval and rank.
std::string effect_cell(const ComparisonRow& row) {
    const Estimate& e = row.effect;
    if (!e.value)
        return e.note.empty() ? "-" : e.note;
    bool training = row.domain == "training";
    std::string out = *e.value > 0 ? "+" : "";
    out += printf_string("%.3g", *e.value);
    out += training ? " pp" : " MHz";
    if (e.ci)
        out += " [" + printf_string("%.3g", e.ci->low) + ", " + printf_string("%.3g", e.ci->high) +
               "]";
    else if (!e.note.empty()) // why there is no interval (no variation, one run a side)
        out += " (" + e.note + ")";
    return out + " #" + std::to_string(row.effect_rank);
}

// "0% (all identical) n=10 of 256 vectors": a functional figure with what each pair's share is
// of (the equivalence check's random vectors, or the test set's natural inputs).
std::string functional_cell(const Estimate& e, std::size_t inputs, const std::string& what) {
    std::string out = estimate_cell(e, 100, "%", "not measured");
    if (e.value && inputs > 0)
        out += " of " + std::to_string(inputs) + " " + what;
    return out;
}

std::vector<std::string> cells(const ComparisonRow& row) {
    bool training = row.domain == "training";
    return {
        row.domain,
        row.experiment,
        row.study,
        source_name(row.source, row.factor),
        row.machine.label(),
        runs_cell(row),
        differ_cell(row.differ),
        estimate_cell(row.representational, 100, "%"),
        estimate_cell(row.normalised, 1, "", row.representational.value ? "no baseline" : "-"),
        training ? "-" : functional_cell(row.correctness_mismatch, row.mismatch_vectors, "vectors"),
        training ? functional_cell(row.prediction_disagreement, row.test_samples, "inputs") : "-",
        (training ? "acc " : "Fmax ") + estimate_cell(row.quality_relative, 1, "%"),
        training ? estimate_cell(row.quality_vs_noise, 1, "x SE", "-") : "exact (STA)",
        effect_cell(row),
        notes_cell(row)};
}

const std::vector<std::string>& headers() {
    static const std::vector<std::string> h{
        "domain",
        "experiment",
        "study",
        "source",
        "machine",
        "runs",
        "differ from 1st",
        "bits differing",
        "vs unrelated",
        "mismatch on random vectors",          // toolchain: correctness (equivalence check)
        "prediction disagreement on test set", // training: natural inputs
        "quality CV",
        "vs noise",
        "vs baseline",
        "notes"};
    return h;
}

std::string number(std::optional<double> v) {
    return v && std::isfinite(*v) ? printf_string("%.9g", *v) : std::string();
}

// A count that 0 would misstate ("not known", not "none"): blank in CSV, null in JSON.
std::string count_or_blank(std::size_t count) {
    return count ? std::to_string(count) : std::string();
}
nlohmann::json count_or_null(std::size_t count) {
    return count ? nlohmann::json(count) : nlohmann::json(nullptr);
}

// value, low, high, n and note of an estimate: five CSV fields.
std::string estimate_csv(const Estimate& e) {
    return number(e.value) + "," + number(e.ci ? std::optional(e.ci->low) : std::nullopt) + "," +
           number(e.ci ? std::optional(e.ci->high) : std::nullopt) + "," + std::to_string(e.n) +
           "," + csv_cell(e.note);
}

const char* const kEstimates[] = {
    "representational_distance", "normalised_distance", "correctness_mismatch",
    "prediction_disagreement",   "quality_cv_pct",      "quality_std",
    "quality_std_over_noise",    "effect_vs_baseline",  "loss_effect_vs_baseline",
    "cross_entropy_std",         "logit_correlation",   "ensemble_gain_pp",
    "distance_from_baseline",    "distance_vs_seed",    "disagreement_from_baseline",
    "disagreement_vs_seed"};

std::vector<const Estimate*> estimates(const ComparisonRow& r) {
    std::vector<const Estimate*> out{
        &r.representational, &r.normalised,  &r.correctness_mismatch, &r.prediction_disagreement,
        &r.quality_relative, &r.quality_raw, &r.quality_vs_noise,     &r.effect,
        &r.loss_effect,      &r.loss_std,    &r.logit_correlation,    &r.ensemble_gain_pp};
    out.insert(out.end(), {&r.distance_from_baseline, &r.distance_vs_seed,
                           &r.disagreement_from_baseline, &r.disagreement_vs_seed});
    return out;
}

std::string render_text(const std::vector<ComparisonRow>& rows) {
    std::vector<std::vector<std::string>> table{headers()};
    for (const auto& row : rows)
        table.push_back(cells(row));
    std::vector<std::size_t> width(headers().size(), 0);
    for (const auto& line : table)
        for (std::size_t c = 0; c < line.size(); ++c)
            width[c] = std::max(width[c], line[c].size());
    std::ostringstream out;
    for (const auto& line : table) {
        std::string text;
        for (std::size_t c = 0; c < line.size(); ++c)
            text += line[c] + std::string(width[c] - line[c].size() + 2, ' ');
        text.erase(text.find_last_not_of(' ') + 1);
        out << text << "\n";
    }
    if (auto metrics = format_training_metrics(rows); !metrics.empty())
        out << "\n" << metrics;
    return out.str();
}

std::string render_markdown(const std::vector<ComparisonRow>& rows) {
    std::ostringstream out;
    auto table = detail::comparison_cells(rows);
    for (std::size_t r = 0; r < table.size(); ++r) {
        out << "|";
        for (const auto& v : table[r])
            out << " " << detail::markdown_cell(v) << " |";
        out << "\n";
        if (r == 0) {
            out << "|";
            for (std::size_t c = 0; c < table[0].size(); ++c)
                out << "---|";
            out << "\n";
        }
    }
    return out.str();
}

std::string render_csv(const std::vector<ComparisonRow>& rows) {
    std::ostringstream out;
    out << "domain,experiment,study,factor,source,machine,machine_host,machine_cpu,machine_tools,"
           "runs,failed,differ_runs,compared_runs,"
           "differ_low,differ_high,identical_pairs_pct";
    for (const char* name : kEstimates)
        out << "," << name << "," << name << "_low," << name << "_high," << name << "_n," << name
            << "_note";
    out << ",correctness_vectors,prediction_inputs,baseline_runs,baseline_pairs,effect_rank,"
           "grid_term,grid_level,variance_share_pct,partial_eta_sq,partial_eta_sq_low,"
           "partial_eta_sq_high,partial_eta_sq_n,partial_eta_sq_note,baseline_outputs,"
           "baseline_varying_bits,baseline_expected_bits,quality_metric,notes,"
           "warnings\n";
    for (const auto& r : rows) {
        std::string notes, warnings;
        for (const auto& n : r.notes)
            notes += (notes.empty() ? "" : "; ") + n;
        for (const auto& w : r.warnings)
            warnings += (warnings.empty() ? "" : "; ") + w;
        out << csv_cell(r.domain) << "," << csv_cell(r.experiment) << "," << csv_cell(r.study)
            << "," << csv_cell(r.factor) << "," << csv_cell(source_name(r.source, r.factor)) << ","
            << csv_cell(r.machine.label()) << "," << csv_cell(r.machine.host) << ","
            << csv_cell(r.machine.cpu) << "," << csv_cell(r.machine.tools) << "," << r.runs << ","
            << r.failed << ",";
        if (r.differ)
            out << r.differ->k << "," << r.differ->n << "," << number(r.differ->ci.low) << ","
                << number(r.differ->ci.high);
        else
            out << ",,,";
        out << "," << number(r.identical_pct);
        for (const Estimate* e : estimates(r))
            out << "," << estimate_csv(*e);
        out << "," << count_or_blank(r.mismatch_vectors) << "," << count_or_blank(r.test_samples);
        out << "," << r.baseline_runs << "," << count_or_blank(r.baseline_pairs) << ","
            << (r.effect_rank ? std::to_string(r.effect_rank) : "") << "," << csv_cell(r.grid_term)
            << "," << csv_cell(r.grid_level) << "," << number(r.variance_share_pct) << ","
            << estimate_csv(r.partial_eta_sq) << "," << r.baseline.outputs << ","
            << r.baseline.varying_bits << "," << number(r.baseline.expected_bits) << ","
            << csv_cell(r.quality_label) << "," << csv_cell(notes) << "," << csv_cell(warnings)
            << "\n";
    }
    return out.str();
}

nlohmann::json optional_json(std::optional<double> v) {
    return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json estimate_json(const Estimate& e) {
    nlohmann::json ci = nullptr;
    if (e.ci)
        ci = {optional_json(e.ci->low), optional_json(e.ci->high)};
    return {{"value", optional_json(e.value)}, {"ci95", ci}, {"n", e.n}, {"note", e.note}};
}

std::string render_json(const std::vector<ComparisonRow>& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json differ = nullptr;
        if (r.differ)
            differ = {{"runs_differing", r.differ->k},
                      {"runs_compared", r.differ->n},
                      {"ci95", {r.differ->ci.low, r.differ->ci.high}},
                      {"one_sided", r.differ->one_sided}};
        nlohmann::json row{{"domain", r.domain},
                           {"experiment", r.experiment},
                           {"study", r.study},
                           {"factor", r.factor},
                           {"source", source_name(r.source, r.factor)},
                           {"machine",
                            {{"label", r.machine.label()},
                             {"host", r.machine.host},
                             {"cpu", r.machine.cpu},
                             {"tools", r.machine.tools}}},
                           {"runs", r.runs},
                           {"failed", r.failed},
                           {"differ_from_first", differ},
                           {"identical_pairs_pct", optional_json(r.identical_pct)},
                           {"baseline",
                            {{"classes", r.baseline.classes},
                             {"outputs", r.baseline.outputs},
                             {"total_bits", r.baseline.total_bits},
                             {"varying_bits", r.baseline.varying_bits},
                             {"expected_bits", r.baseline.expected_bits}}},
                           {"correctness_vectors", count_or_null(r.mismatch_vectors)},
                           {"prediction_inputs", count_or_null(r.test_samples)},
                           {"quality_metric", r.quality_label},
                           {"baseline_runs", r.baseline_runs},
                           {"baseline_pairs", count_or_null(r.baseline_pairs)},
                           {"grid_term", r.grid_term},
                           {"grid_level", r.grid_level},
                           {"variance_share_pct", optional_json(r.variance_share_pct)},
                           {"partial_eta_sq", estimate_json(r.partial_eta_sq)},
                           {"effect_rank", r.effect_rank ? nlohmann::json(r.effect_rank)
                                                         : nlohmann::json(nullptr)},
                           {"notes", r.notes},
                           {"warnings", r.warnings},
                           {"damaged", r.damaged}};
        auto list = estimates(r);
        for (std::size_t i = 0; i < list.size(); ++i)
            row[kEstimates[i]] = estimate_json(*list[i]);
        out.push_back(row);
    }
    return out.dump(2) + "\n";
}

} // namespace

std::string describe(const Estimate& e, double scale, const std::string& unit) {
    return estimate_cell(e, scale, unit, "not measured");
}

std::string describe(const std::optional<Proportion>& differ) {
    return differ ? differ_cell(differ) + " runs differ from the first" : "not measured";
}

Format parse_format(const std::string& name) {
    if (name == "text")
        return Format::text;
    if (name == "csv")
        return Format::csv;
    if (name == "json")
        return Format::json;
    if (name == "markdown" || name == "md")
        return Format::markdown;
    throw InputError("--format: '" + name + "' is not one of: text, csv, json, markdown");
}

std::string format_table(const std::vector<ComparisonRow>& rows, Format format) {
    switch (format) {
    case Format::csv:
        return render_csv(rows);
    case Format::json:
        return render_json(rows);
    case Format::markdown:
        return render_markdown(rows);
    case Format::text:
        break;
    }
    return render_text(rows);
}

std::vector<std::string> damaged_alarms(const std::vector<ComparisonRow>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows)
        for (const auto& d : row.damaged)
            out.push_back(row.experiment + " / " + row.study + ": " + d);
    return out;
}

std::vector<std::string> equivalence_alarms(const std::vector<ComparisonRow>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows)
        for (const auto& w : row.warnings)
            if (w.find("equivalence") != std::string::npos)
                out.push_back(row.experiment + " / " + row.study + ": " + w);
    return out;
}

namespace detail {

std::vector<std::vector<std::string>> comparison_cells(const std::vector<ComparisonRow>& rows) {
    std::vector<std::vector<std::string>> table{headers()};
    for (const auto& row : rows)
        table.push_back(cells(row));
    return table;
}

std::string markdown_cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            out += ' ';
        else if (std::string_view("\\|<>[]*_`~&").find(c) != std::string_view::npos)
            out += std::string("\\") + c;
        else
            out += c;
    }
    return out;
}

} // namespace detail

} // namespace detlab::analysis
