// The self-contained HTML report: comparison table, plots inline as base64 SVG, per-group
// details, the provenance of a run and the experiment files, all in one file that opens offline.
#include "analysis/analysis.h"
#include "analysis/internal.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <openssl/evp.h>
#include <set>
#include <sstream>

namespace detlab::analysis {
namespace {

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string base64(const Bytes& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

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
        out << "<tr><th>" << escape(k) << "</th><td>" << v << "</td></tr>";
    out << "</table>\n";
}

std::string baseline_cell(const UnrelatedBaseline& b) {
    if (b.expected_bits <= 0)
        return "none";
    return fmt(b.expected_bits, "%.0f") +
           " bits expected between independent outputs with each pair's densities (classes: " +
           escape(b.classes) + "); " + std::to_string(b.varying_bits) + " of " +
           std::to_string(b.total_bits) + " bit positions vary over the group's " +
           std::to_string(b.outputs) + " runs";
}

void toolchain_details(std::ostringstream& out, const ToolchainSummary& t) {
    std::string divergence;
    for (const auto& [stage, count] : t.first_divergence)
        divergence += stage + ": " + std::to_string(count) + " pairs; ";
    rows_html(out,
              {{"pairs", std::to_string(t.pairs)},
               {"identical .bin / .asc / netlist", opt_pct(t.identical_bin) + " / " +
                                                       opt_pct(t.identical_asc) + " / " +
                                                       opt_pct(t.identical_netlist)},
               {"first diverging stage", escape(divergence)},
               {"bits compared per pair",
                std::to_string(t.config_bits) + " (" + escape(t.distance_over) + ")"},
               {"netlist.json differs from the first run's", escape(describe(t.netlist_differ))},
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
                                         ? "<b class=bad>" + escape(t.equivalence) + "</b>"
                                         : escape(t.equivalence)}});
}

void training_details(std::ostringstream& out, const TrainingSummary& t) {
    auto ci = [](const BootstrapCI& c, double scale) {
        return "mean [" + fmt(c.mean.low * scale) + ", " + fmt(c.mean.high * scale) + "], std [" +
               fmt(c.std.low * scale) + ", " + fmt(c.std.high * scale) + "]";
    };
    rows_html(out, {{"pairs", std::to_string(t.pairs)},
                    {"identical weights (pairs)", opt_pct(t.identical_weights)},
                    {"weights differ from the first run's", escape(describe(t.weights.differ))},
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
    out << "<h3>" << escape(g.experiment + " / " + g.kind + " / " + g.label()) << "</h3>\n<p>"
        << g.runs.size() << " completed runs";
    if (!g.failed.empty())
        out << ", <b class=bad>" << g.failed.size() << " failed or timed out</b>";
    out << ". Factor values: ";
    for (const auto& run : g.runs)
        out << "<code>"
            << escape(run.param(db::param::kFactorValue, std::to_string(run.row.repeat)))
            << "</code> ";
    out << "</p>\n";
    if (s.toolchain)
        toolchain_details(out, *s.toolchain);
    if (s.training)
        training_details(out, *s.training);
    for (const auto& run : g.failed)
        out << "<p class=bad>"
            << escape(run.row.id + " " + run.row.status + ": " + run.row.message.substr(0, 400))
            << "</p>\n";
}

void provenance_section(std::ostringstream& out, const db::Store& store,
                        const std::vector<GroupSummary>& summaries) {
    std::set<std::string> kinds_done;
    for (const auto& s : summaries) {
        if (s.group.runs.empty() || !kinds_done.insert(s.group.kind).second)
            continue;
        const RunData& run = s.group.runs.front();
        out << "<h3>Provenance of " << escape(s.group.kind) << " run <code>" << escape(run.row.id)
            << "</code></h3>\n<details><summary>" << escape(run.row.host) << ", config "
            << escape(run.row.config_json.substr(0, 120)) << "</summary>";
        std::vector<std::pair<std::string, std::string>> kv;
        for (const auto& [k, v] : store.provenance(run.row.id))
            kv.emplace_back(k, "<code>" + escape(v) + "</code>");
        kv.emplace_back("config", "<code>" + escape(run.row.config_json) + "</code>");
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
        out << "<h3>Experiment <code>" << escape(name) << "</code></h3>\n";
        if (source)
            out << "<pre>" << escape(*source) << "</pre>\n";
        else
            out << "<p>No experiment file stored (ad-hoc runs).</p>\n";
    }
}

// From the table's cells, each HTML-escaped: a '|' or a line break in a stored name is text in
// its own cell, never a column of its own.
void table_section(std::ostringstream& out, const std::vector<ComparisonRow>& rows) {
    auto table = detail::comparison_cells(rows);
    out << "<table class=cmp>\n";
    for (std::size_t r = 0; r < table.size(); ++r) {
        std::string tag = r == 0 ? "th" : "td";
        out << "<tr>";
        for (const auto& cell : table[r])
            out << "<" << tag << (cell.rfind("WARNING", 0) == 0 ? " class=bad" : "") << ">"
                << escape(cell) << "</" << tag << ">";
        out << "</tr>\n";
    }
    out << "</table>\n";
}

void verdict_section(std::ostringstream& out, const std::vector<ClaimVerdict>& list) {
    out << "<h2>Verdict</h2>\n<p>Each claim of the discussion as a pre-declared test: a margin "
           "justified from outside the data, a named test at 95% (docs/analysis.md), every "
           "matching evidence set listed. \"cannot decide\" when an interval straddles its "
           "margin or the evidence sets disagree; stability is the share of bootstrap resamples "
           "of the runs that fall on the same side of the margin.</p>\n<table class=cmp><tr>"
           "<th>claim</th><th>tested as</th><th>margin and test</th><th>verdict</th>"
           "<th>evidence</th></tr>\n";
    auto share = [](const std::optional<double>& v) {
        return v ? std::to_string(int(std::lround(*v * 100))) + "%" : std::string("-");
    };
    for (const auto& v : list) {
        out << "<tr><td>" << v.number << ". " << escape(v.claim) << "</td><td>" << escape(v.tested)
            << "</td><td>";
        for (std::size_t i = 0; i < v.margins.size(); ++i)
            out << escape(v.margins[i].text) << " (" << escape(v.margins[i].source) << ")"
                << (i < v.tests.size() ? "; " + escape(v.tests[i]) : "") << "<br>";
        out << "</td><td" << (v.finding == Finding::undecided ? "" : " class=verdict") << "><b>"
            << finding_name(v.finding) << "</b>"
            << (v.evidence_disagrees ? "<br>the evidence sets disagree" : "")
            << (v.n_to_decide ? "<br>about " + std::to_string(*v.n_to_decide) + " runs would decide"
                              : "")
            << "<br>stability " << share(v.stability) << "</td><td>" << escape(v.because)
            << "</td></tr>\n";
    }
    out << "</table>\n";
}

// Observations of one configuration from several machines (merged databases).
void machines_section(std::ostringstream& out, const std::vector<MachineComparison>& rows) {
    out << "<h2>Across machines</h2>\n";
    if (rows.empty()) {
        out << "<p>Not measured: no configuration in this database has done observations from two "
               "or more machines. Run the same experiment on another machine into its own "
               "database and join them with <code>detlab merge OUT A.db B.db</code>.</p>\n";
        return;
    }
    out << "<p>Each configuration observed on two or more machines (host, CPU model, tool "
           "versions): how many pairs of observations from different machines gave byte-identical "
           "outputs (bitstream .bin or trained weights), their mean share of differing bits, and "
           "the same count for pairs from one machine.</p>\n<pre>"
        << escape(format_machines(rows, Format::text)) << "</pre>\n";
}

void models_section(std::ostringstream& out, const std::vector<ModelOnBitstream>& runs) {
    out << "<h2>Trained models on bitstreams</h2>\n";
    if (runs.empty()) {
        out << "<p>None recorded. Run trained models' inference on built bitstreams with "
               "<code>detlab equiv model --train-run ID --train-run ID --toolchain-run ID "
               "--toolchain-run ID</code> (bitstreams of different placer seeds, models of "
               "different training seeds) to record one.</p>\n";
        return;
    }
    out << "<p>Each row is one <code>detlab equiv model</code> run: every model's inference on "
           "test samples (the split's first ones, or, with <code>--pick disagreement</code>, "
           "those where the models' predictions differ first), with every matrix product "
           "computed by the gate-level simulation of each bitstream, compared with the golden "
           "model. Typically the bitstreams differ in placer seed and the models in training "
           "seed.</p>\n"
           "<table class=cmp><tr><th>run</th><th>experiment</th><th>models &times; "
           "bitstreams</th><th>samples</th><th>mismatches vs golden (predictions / logits)</th>"
           "<th>identical across bitstreams</th><th>disagreement between models</th>"
           "<th>reading</th></tr>\n";
    for (const auto& m : runs) {
        bool bad = m.prediction_mismatches > 0 || m.logit_mismatches > 0 ||
                   !m.identical_across_bitstreams || m.status != db::kStatusDone;
        out << "<tr><td><code>" << escape(m.id) << "</code></td><td>" << escape(m.experiment)
            << "</td><td>" << m.models << " &times; " << m.bitstreams << "</td><td>" << m.samples
            << (m.pick == "first" ? "" : " (" + escape(m.pick) + " first)") << "</td><td"
            << (m.prediction_mismatches || m.logit_mismatches ? " class=bad" : "") << ">"
            << m.prediction_mismatches << " / " << m.logit_mismatches << "</td><td"
            << (m.identical_across_bitstreams ? "" : " class=bad") << ">"
            << (m.bitstreams < 2                ? "- (one bitstream)"
                : m.identical_across_bitstreams ? "yes"
                                                : "no")
            << "</td><td>"
            << (m.model_disagreement ? fmt(*m.model_disagreement * 100, "%.1f") + "%" : "-")
            << "</td><td" << (bad ? " class=bad" : "") << ">" << escape(m.reading())
            << "</td></tr>\n";
    }
    out << "</table>\n";
}

// issue 27: the design suite's table and its plots against utilisation, when the store holds
// studies of two or more designs or families (one design on one family is the comparison above).
std::vector<PlotFile> suite_section(std::ostringstream& out, const std::vector<SuiteRow>& rows,
                                    const std::filesystem::path& dir) {
    std::set<std::pair<std::string, std::string>> designs;
    for (const auto& r : rows)
        designs.emplace(r.design, r.family);
    if (designs.size() < 2)
        return {};
    write_file(dir / "suite.csv", suite_csv(rows));
    auto plots = suite_plots(rows, dir);
    out << "<h2>Design suite</h2>\n<p>Per design and family (as <code>detlab suite</code>; "
           "suite.csv beside this file): logic utilisation, builds differing from the first "
           "(Clopper-Pearson), bit distance (bootstrap over runs), Fmax and its std (chi-square), "
           "each with n and a 95% interval; docs/suite.md.</p>\n<pre>"
        << escape(suite_table(rows)) << "</pre>\n";
    for (const auto& plot : plots)
        out << "<figure><img alt=\"" << escape(plot.title) << "\" src=\"data:image/svg+xml;base64,"
            << base64(read_file_bytes(plot.svg)) << "\"><figcaption>" << escape(plot.title)
            << "</figcaption></figure>\n";
    return plots;
}

const char* kStyle = R"(<style>
body{font-family:sans-serif;max-width:1250px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;font-size:90%}th{background:#f0f0f0}.bad{color:#b00020;font-weight:bold}
.alarm{border:3px solid #b00020;padding:.5em 1em;background:#fff0f0}img{max-width:100%}
pre{background:#f7f7f7;padding:.7em;overflow:auto}figure{margin:1em 0}
figcaption{font-style:italic;color:#555}table.kv th{width:18em}
</style>)";

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
    return buffer;
}

} // namespace

ReportFiles write_report(const db::Store& store, const ReportOptions& options) {
    std::filesystem::create_directories(options.out_dir);
    auto summaries = analyse(store, options.experiment);
    auto rows = comparison_rows(summaries);
    ReportFiles files;
    files.groups = summaries.size();
    files.csv = options.out_dir / "comparison.csv";
    write_file(files.csv, format_table(rows, Format::csv));
    files.plots = make_plots(summaries, options.out_dir);
    if (auto forest = forest_plot(rows, options.out_dir))
        files.plots.push_back(*forest);

    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>detlab report</title>"
        << kStyle
        << "</head><body>\n<h1>detlab: nondeterminism in an FPGA toolchain and in "
           "training, side by side</h1>\n<p>Database <code>"
        << escape(store.path().string()) << "</code>, " << summaries.size() << " groups, written "
        << now_utc() << ".</p>\n";
    if (auto alarms = equivalence_alarms(rows); !alarms.empty()) {
        out << "<div class=alarm><h2 class=bad>Equivalence check failures</h2><ul>";
        for (const auto& a : alarms)
            out << "<li>" << escape(a) << "</li>";
        out << "</ul></div>\n";
    }
    auto machines = compare_machines(store, options.experiment);
    files.damaged = damaged_alarms(rows);
    for (const auto& m : machines)
        for (const auto& d : m.damaged)
            files.damaged.push_back("across machines " + m.label + ": " + d.text());
    if (!files.damaged.empty()) {
        out << "<div class=alarm><h2 class=bad>Damaged data left out</h2><p>These runs' stored "
               "bytes no longer match their hash or cannot be decompressed; every figure below "
               "is computed without them. <code>detlab db check</code> lists the damage.</p><ul>";
        for (const auto& d : files.damaged)
            out << "<li>" << escape(d) << "</li>";
        out << "</ul></div>\n";
    }
    out << "<h2>Comparison</h2>\n<p>One row per group of runs that share every setting but one "
           "factor; runs are the independent units, every interval is 95% (methods in "
           "docs/analysis.md). <i>differ from 1st</i>: runs whose output (bitstream .bin, or "
           "trained weights) differs from the first run's, with the exact bound or "
           "Clopper-Pearson interval on the chance that a further run differs; <i>bits "
           "differing</i>: raw mean share of differing bits over pairs (iCE40 configuration "
           "bits, or float32 weight bits), bootstrap interval over runs; <i>vs unrelated</i>: "
           "the same distance as a share of the distance expected between unrelated outputs of "
           "the same kind (1 = as different as unrelated; only bit positions that vary count); "
           "<i>mismatch on random vectors</i> (toolchain): share of the equivalence check's "
           "random input vectors on which two bitstreams compute different outputs, a "
           "correctness figure; <i>prediction disagreement on test set</i> (training): share of "
           "the test set's natural inputs on which two models predict different classes (the "
           "two measure different things and are never one column); "
           "<i>quality CV</i>: relative spread of Fmax or of test accuracy over runs, chi-square "
           "interval; <i>vs noise</i>: the accuracy's std over runs in units of one accuracy's "
           "test-set sampling error (static timing has none).</p>\n";
    table_section(out, rows);
    if (auto effects = format_effects(rows); !effects.empty())
        out << "<h2>Effects against the baseline</h2>\n<pre>" << escape(effects) << "</pre>\n";
    verdict_section(out, verdicts(rows));
    if (auto versions = toolchain_versions(store, options.experiment); !versions.empty())
        out << "<h2>Toolchain versions</h2>\n<p>The same RTL and seed built on each toolchain "
               "root (a <code>tools</code> study), each against the first.</p>\n<pre>"
            << escape(format_toolchain_versions(versions, Format::text)) << "</pre>\n";
    auto suite_figures = suite_section(out, suite_rows(summaries), options.out_dir);
    machines_section(out, machines);
    models_section(out, model_on_bitstream_runs(store, options.experiment));
    out << "<h2>Plots</h2>\n";
    for (const auto& plot : files.plots)
        out << "<figure><img alt=\"" << escape(plot.title) << "\" src=\"data:image/svg+xml;base64,"
            << base64(read_file_bytes(plot.svg)) << "\"><figcaption>" << escape(plot.title)
            << "</figcaption></figure>\n";
    files.plots.insert(files.plots.end(), suite_figures.begin(), suite_figures.end());
    out << "<h2>Groups</h2>\n";
    for (const auto& s : summaries)
        group_section(out, s);
    out << "<h2>Provenance</h2>\n";
    provenance_section(out, store, summaries);
    out << "<h2>Experiment files</h2>\n";
    experiments_section(out, store, summaries);
    out << "</body></html>\n";
    files.html = options.out_dir / "report.html";
    write_file(files.html, out.str());
    return files;
}

} // namespace detlab::analysis
