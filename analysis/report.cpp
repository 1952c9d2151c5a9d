// The self-contained HTML report: comparison table, effects, verdict, plots inline as base64 SVG,
// and the reference sections (report_details.cpp), all in one file that opens offline.
#include "analysis/analysis.h"
#include "analysis/internal.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <openssl/evp.h>
#include <set>
#include <sstream>

namespace detlab::analysis {

namespace detail {
std::string html_escape(const std::string& text) {
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

} // namespace detail

namespace {

using detail::html_escape;

std::string base64(const Bytes& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string percent(double share) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f%%", share * 100);
    return buffer;
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
                << html_escape(cell) << "</" << tag << ">";
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
        out << "<tr><td>" << v.number << ". " << html_escape(v.claim) << "</td><td>"
            << html_escape(v.tested) << "</td><td>";
        for (std::size_t i = 0; i < v.margins.size(); ++i)
            out << html_escape(v.margins[i].text) << " (" << html_escape(v.margins[i].source) << ")"
                << (i < v.tests.size() ? "; " + html_escape(v.tests[i]) : "") << "<br>";
        out << "</td><td" << (v.finding == Finding::undecided ? "" : " class=verdict") << "><b>"
            << finding_name(v.finding) << "</b>"
            << (v.evidence_disagrees ? "<br>the evidence sets disagree" : "")
            << (v.n_to_decide ? "<br>about " + std::to_string(*v.n_to_decide) + " runs would decide"
                              : "")
            << "<br>stability " << share(v.stability) << "</td><td>" << html_escape(v.because)
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
        << html_escape(format_machines(rows, Format::text)) << "</pre>\n";
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
        out << "<tr><td><code>" << html_escape(m.id) << "</code></td><td>"
            << html_escape(m.experiment) << "</td><td>" << m.models << " &times; " << m.bitstreams
            << "</td><td>" << m.samples
            << (m.pick == "first" ? "" : " (" + html_escape(m.pick) + " first)") << "</td><td"
            << (m.prediction_mismatches || m.logit_mismatches ? " class=bad" : "") << ">"
            << m.prediction_mismatches << " / " << m.logit_mismatches << "</td><td"
            << (m.identical_across_bitstreams ? "" : " class=bad") << ">"
            << (m.bitstreams < 2                ? "- (one bitstream)"
                : m.identical_across_bitstreams ? "yes"
                                                : "no")
            << "</td><td>" << (m.model_disagreement ? percent(*m.model_disagreement) : "-")
            << "</td><td" << (bad ? " class=bad" : "") << ">" << html_escape(m.reading())
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
        << html_escape(suite_table(rows)) << "</pre>\n";
    for (const auto& plot : plots)
        out << "<figure><img alt=\"" << html_escape(plot.title)
            << "\" src=\"data:image/svg+xml;base64," << base64(read_file_bytes(plot.svg))
            << "\"><figcaption>" << html_escape(plot.title) << "</figcaption></figure>\n";
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
    // The two forest plots side by side: the effects on quality, then the distances.
    for (auto forest :
         {forest_plot(rows, options.out_dir), distance_forest_plot(rows, options.out_dir)})
        if (forest)
            files.plots.push_back(*forest);

    std::ostringstream out;
    out << "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>detlab report</title>"
        << kStyle
        << "</head><body>\n<h1>detlab: nondeterminism in an FPGA toolchain and in "
           "training, side by side</h1>\n<p>Database <code>"
        << html_escape(store.path().string()) << "</code>, " << summaries.size()
        << " groups, written " << now_utc() << ".</p>\n";
    if (auto alarms = equivalence_alarms(rows); !alarms.empty()) {
        out << "<div class=alarm><h2 class=bad>Equivalence check failures</h2><ul>";
        for (const auto& a : alarms)
            out << "<li>" << html_escape(a) << "</li>";
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
            out << "<li>" << html_escape(d) << "</li>";
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
        out << "<h2>Effects against the baseline</h2>\n<pre>" << html_escape(effects) << "</pre>\n";
    verdict_section(out, verdicts(rows));
    if (auto versions = toolchain_versions(store, options.experiment); !versions.empty())
        out << "<h2>Toolchain versions</h2>\n<p>The same RTL and seed built on each toolchain "
               "root (a <code>tools</code> study), each against the first.</p>\n<pre>"
            << html_escape(format_toolchain_versions(versions, Format::text)) << "</pre>\n";
    auto suite_figures = suite_section(out, suite_rows(summaries), options.out_dir);
    machines_section(out, machines);
    models_section(out, model_on_bitstream_runs(store, options.experiment));
    out << "<h2>Plots</h2>\n";
    for (const auto& plot : files.plots)
        out << "<figure><img alt=\"" << html_escape(plot.title)
            << "\" src=\"data:image/svg+xml;base64," << base64(read_file_bytes(plot.svg))
            << "\"><figcaption>" << html_escape(plot.title) << "</figcaption></figure>\n";
    files.plots.insert(files.plots.end(), suite_figures.begin(), suite_figures.end());
    out << detail::report_details_html(store, summaries);
    out << "</body></html>\n";
    files.html = options.out_dir / "report.html";
    write_file(files.html, out.str());
    return files;
}

} // namespace detlab::analysis
