// The report's reference sections under its plots: every figure of each group with its runs'
// factor values and failures, the provenance of one run per kind, and the stored experiment
// files (report.cpp writes the rest).
#include "analysis/internal.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace detlab::analysis {
namespace {

using detail::html_escape;

std::string fmt(double v, const char* format = "%.4g") {
    if (std::isnan(v))
        return "-";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

// Over pairs of runs: pairs share runs, so their spread is no uncertainty; the table's
// intervals (bootstrap over runs) are.
std::string pairs_cell(const Summary& s, double scale = 1, const char* unit = "") {
    if (s.n == 0)
        return "-";
    if (s.min == s.max)
        return fmt(s.mean * scale) + unit + " in all " + std::to_string(s.n) + " pairs";
    return "mean " + fmt(s.mean * scale) + unit + " (min " + fmt(s.min * scale) + ", max " +
           fmt(s.max * scale) + " over " + std::to_string(s.n) + " pairs)";
}

// Over runs (independent): mean, sample std and its 95% chi-square interval.
std::string runs_cell(const Summary& s, double scale = 1, const char* unit = "") {
    if (s.n == 0)
        return "-";
    if (s.n == 1)
        return fmt(s.mean * scale) + unit + " (n=1: no spread)";
    if (s.min == s.max)
        return fmt(s.mean * scale) + unit + " in all " + std::to_string(s.n) + " runs (std 0)";
    auto ci = std_interval(s.std, s.n);
    return "mean " + fmt(s.mean * scale) + unit + ", std " + fmt(s.std * scale) + " [" +
           fmt(ci->low * scale) + ", " + fmt(ci->high * scale) + "] (min " + fmt(s.min * scale) +
           ", max " + fmt(s.max * scale) + ", n=" + std::to_string(s.n) + ")";
}

std::string opt_pct(std::optional<double> f) {
    return f ? fmt(*f * 100, "%.1f") + "%" : "-";
}

void rows_html(std::ostringstream& out,
               const std::vector<std::pair<std::string, std::string>>& kv) {
    out << "<table class=kv>";
    for (const auto& [k, v] : kv)
        out << "<tr><th>" << html_escape(k) << "</th><td>" << v << "</td></tr>";
    out << "</table>\n";
}

std::string baseline_cell(const UnrelatedBaseline& b) {
    if (b.expected_bits <= 0)
        return "none";
    return fmt(b.expected_bits, "%.0f") +
           " bits expected between independent outputs with each pair's densities (classes: " +
           html_escape(b.classes) + "); " + std::to_string(b.varying_bits) + " of " +
           std::to_string(b.total_bits) + " bit positions vary over the group's " +
           std::to_string(b.outputs) + " runs";
}

void toolchain_details(std::ostringstream& out, const ToolchainSummary& t) {
    std::string divergence;
    for (const auto& [stage, count] : t.first_divergence)
        divergence += stage + ": " + std::to_string(count) + " pairs; ";
    rows_html(
        out,
        {{"pairs", std::to_string(t.pairs)},
         {"identical .bin / .asc / netlist", opt_pct(t.identical_bin) + " / " +
                                                 opt_pct(t.identical_asc) + " / " +
                                                 opt_pct(t.identical_netlist)},
         {"first diverging stage", html_escape(divergence)},
         {"bits compared per pair",
          std::to_string(t.config_bits) + " (" + html_escape(t.distance_over) + ")"},
         {"netlist.json differs from the first run's", html_escape(describe(t.netlist_differ))},
         {"Hamming distance", pairs_cell(t.hamming, 100, "%")},
         {"Jaccard distance (set bits)", pairs_cell(t.jaccard, 100, "%")},
         {"common-scale baseline", baseline_cell(t.bitstream.baseline)},
         {"Fmax (MHz)", runs_cell(t.fmax_mhz)},
         {"logic cells", runs_cell(t.logic_cells)},
         {"tool wall time (s)", runs_cell(t.tools_wall_s)},
         {"mismatch on random vectors (correctness)",
          t.functional ? opt_pct(t.functional) + " of " + std::to_string(t.equiv_vectors) +
                             " vectors, mean over pairs"
                       : "not measured"},
         {"equivalence check", t.equivalence_differs
                                   ? "<b class=bad>" + html_escape(t.equivalence) + "</b>"
                                   : html_escape(t.equivalence)}});
}

void training_details(std::ostringstream& out, const TrainingSummary& t) {
    auto ci = [](const BootstrapCI& c, double scale) {
        return "mean [" + fmt(c.mean.low * scale) + ", " + fmt(c.mean.high * scale) + "], std [" +
               fmt(c.std.low * scale) + ", " + fmt(c.std.high * scale) + "]";
    };
    rows_html(out,
              {{"pairs", std::to_string(t.pairs)},
               {"identical weights (pairs)", opt_pct(t.identical_weights)},
               {"weights differ from the first run's", html_escape(describe(t.weights.differ))},
               {"differing weight bits", pairs_cell(t.weight_bits, 100, "%")},
               {"common-scale baseline", baseline_cell(t.weights.baseline)},
               {"relative L2 distance", pairs_cell(t.relative_l2)},
               {"prediction disagreement", pairs_cell(t.disagreement, 100, "%")},
               {"Pearson r of logits", pairs_cell(t.pearson)},
               {"test samples per accuracy", std::to_string(t.test_samples)},
               {"test accuracy (%)", runs_cell(t.accuracy, 100)},
               {"accuracy 95% bootstrap CI over runs (%)",
                t.accuracy.n < 2 ? "-" : ci(t.accuracy_ci, 100)},
               {"test cross-entropy", runs_cell(t.loss)},
               {"two-model ensemble gain (pp)", pairs_cell(t.ensemble_gain, 100)}});
}

void group_section(std::ostringstream& out, const GroupSummary& s) {
    const Group& g = s.group;
    out << "<h3>" << html_escape(g.experiment + " / " + g.kind + " / " + g.label()) << "</h3>\n<p>"
        << g.runs.size() << " completed runs";
    if (!g.failed.empty())
        out << ", <b class=bad>" << g.failed.size() << " failed or timed out</b>";
    out << ". Factor values: ";
    for (const auto& run : g.runs)
        out << "<code>"
            << html_escape(run.param(db::param::kFactorValue, std::to_string(run.row.repeat)))
            << "</code> ";
    out << "</p>\n";
    if (s.toolchain)
        toolchain_details(out, *s.toolchain);
    if (s.training)
        training_details(out, *s.training);
    for (const auto& run : g.failed)
        out << "<p class=bad>"
            << html_escape(run.row.id + " " + run.row.status + ": " +
                           run.row.message.substr(0, 400))
            << "</p>\n";
}

void provenance_section(std::ostringstream& out, const db::Store& store,
                        const std::vector<GroupSummary>& summaries) {
    std::set<std::string> kinds_done;
    for (const auto& s : summaries) {
        if (s.group.runs.empty() || !kinds_done.insert(s.group.kind).second)
            continue;
        const RunData& run = s.group.runs.front();
        out << "<h3>Provenance of " << html_escape(s.group.kind) << " run <code>"
            << html_escape(run.row.id) << "</code></h3>\n<details><summary>"
            << html_escape(run.row.host) << ", config "
            << html_escape(run.row.config_json.substr(0, 120)) << "</summary>";
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& [k, v] : store.provenance(run.row.id))
            kv.emplace_back(k, "<code>" + html_escape(v) + "</code>");
        kv.emplace_back("config", "<code>" + html_escape(run.row.config_json) + "</code>");
        rows_html(out, kv);
        out << "</details>\n";
    }
}

void experiments_section(std::ostringstream& out, const db::Store& store,
                         const std::vector<GroupSummary>& summaries) {
    std::set<std::string> names;
    for (const auto& s : summaries)
        names.insert(s.group.experiment);
    for (const auto& name : names) {
        auto source = store.experiment_source(name);
        out << "<h3>Experiment <code>" << html_escape(name) << "</code></h3>\n";
        if (source)
            out << "<pre>" << html_escape(*source) << "</pre>\n";
        else
            out << "<p>No experiment file stored (ad-hoc runs).</p>\n";
    }
}

} // namespace

namespace detail {
std::string report_details_html(const db::Store& store,
                                const std::vector<GroupSummary>& summaries) {
    std::ostringstream out;
    out << "<h2>Groups</h2>\n";
    for (const auto& s : summaries)
        group_section(out, s);
    out << "<h2>Provenance</h2>\n";
    provenance_section(out, store, summaries);
    out << "<h2>Experiment files</h2>\n";
    experiments_section(out, store, summaries);
    return out.str();
}
} // namespace detail

} // namespace detlab::analysis
