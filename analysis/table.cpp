// The cross-domain comparison table and its text, CSV, JSON and Markdown renderings.
#include "analysis/analysis.h"

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

std::string spread(const ComparisonRow& row) {
    if (!row.quality_spread)
        return "-";
    if (row.domain == "toolchain")
        return "Fmax CV " + printf_string("%.3g", *row.quality_spread) + "%";
    return "acc std " + printf_string("%.3g", *row.quality_spread) + " pp";
}

std::vector<std::string> cells(const ComparisonRow& row) {
    return {
        row.domain,
        row.experiment,
        row.study,
        row.factor,
        std::to_string(row.runs) +
            (row.failed ? " (+" + std::to_string(row.failed) + " failed)" : ""),
        percent(row.identical_pct ? std::optional<double>(*row.identical_pct / 100) : std::nullopt),
        percent(row.representational),
        row.functional ? percent(row.functional) : "not measured",
        spread(row),
        row.warnings.empty() ? "" : "WARNING: " + row.warnings.front()};
}

const std::vector<std::string>& headers() {
    static const std::vector<std::string> h{
        "domain",         "experiment",          "study",          "factor", "runs", "identical",
        "repr. distance", "functional distance", "quality spread", "notes"};
    return h;
}

std::string number(std::optional<double> v) {
    return v ? printf_string("%.9g", *v) : std::string();
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
    return out.str();
}

std::string render_markdown(const std::vector<ComparisonRow>& rows) {
    std::ostringstream out;
    auto line = [&](const std::vector<std::string>& values) {
        out << "|";
        for (const auto& v : values)
            out << " " << v << " |";
        out << "\n";
    };
    line(headers());
    out << "|";
    for (std::size_t c = 0; c < headers().size(); ++c)
        out << "---|";
    out << "\n";
    for (const auto& row : rows)
        line(cells(row));
    return out.str();
}

std::string render_csv(const std::vector<ComparisonRow>& rows) {
    std::ostringstream out;
    out << "domain,experiment,study,factor,runs,failed,identical_pct,representational_distance,"
           "functional_distance,quality_spread,quality_metric,warnings\n";
    for (const auto& r : rows) {
        std::string warnings;
        for (const auto& w : r.warnings)
            warnings += (warnings.empty() ? "" : "; ") + w;
        out << csv_cell(r.domain) << "," << csv_cell(r.experiment) << "," << csv_cell(r.study)
            << "," << csv_cell(r.factor) << "," << r.runs << "," << r.failed << ","
            << number(r.identical_pct) << "," << number(r.representational) << ","
            << number(r.functional) << "," << number(r.quality_spread) << ","
            << csv_cell(r.quality_label) << "," << csv_cell(warnings) << "\n";
    }
    return out.str();
}

nlohmann::json optional_json(std::optional<double> v) {
    return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string render_json(const std::vector<ComparisonRow>& rows) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows)
        out.push_back({{"domain", r.domain},
                       {"experiment", r.experiment},
                       {"study", r.study},
                       {"factor", r.factor},
                       {"runs", r.runs},
                       {"failed", r.failed},
                       {"identical_pct", optional_json(r.identical_pct)},
                       {"representational_distance", optional_json(r.representational)},
                       {"functional_distance", optional_json(r.functional)},
                       {"quality_spread", optional_json(r.quality_spread)},
                       {"quality_metric", r.quality_label},
                       {"warnings", r.warnings}});
    return out.dump(2) + "\n";
}

ComparisonRow base_row(const Group& group) {
    ComparisonRow row;
    row.domain = group.kind == "train" ? "training" : group.kind;
    row.experiment = group.experiment;
    row.study = group.study;
    row.factor = group.factor;
    row.runs = group.runs.size();
    row.failed = group.failed.size();
    if (group.further_observations > 0)
        row.warnings.push_back(std::to_string(group.further_observations) +
                               " further observations of these runs (other machines or retries) "
                               "not in these figures: see detlab compare --machines");
    return row;
}

} // namespace

std::vector<ComparisonRow> comparison_rows(const std::vector<GroupSummary>& summaries) {
    std::vector<ComparisonRow> rows;
    for (const auto& summary : summaries) {
        const Group& g = summary.group;
        // A lone ad-hoc run (e.g. one `detlab synth`) has nothing to be compared with.
        if (g.study.rfind("adhoc", 0) == 0 && g.runs.size() < 2 && g.failed.empty())
            continue;
        ComparisonRow row = base_row(g);
        if (const auto& t = summary.toolchain) {
            if (t->identical_bin && t->pairs)
                row.identical_pct = *t->identical_bin * 100;
            if (t->hamming.n)
                row.representational = t->hamming.mean;
            row.functional = t->functional;
            if (t->fmax_mhz.n)
                row.quality_spread = t->fmax_mhz.cv * 100;
            row.quality_label = "fmax_cv_pct";
            for (const auto& id : t->equiv_mismatch_runs)
                row.warnings.push_back("run " + id + " failed the equivalence check");
        } else if (const auto& tr = summary.training) {
            if (tr->pairs)
                row.identical_pct = tr->identical_weights * 100;
            if (tr->weight_bits.n)
                row.representational = tr->weight_bits.mean;
            if (tr->disagreement.n)
                row.functional = tr->disagreement.mean;
            if (tr->accuracy.n)
                row.quality_spread = tr->accuracy.std * 100;
            row.quality_label = "test_accuracy_std_pp";
        }
        if (row.runs < 2)
            row.warnings.push_back("fewer than 2 completed runs: nothing to compare");
        rows.push_back(std::move(row));
    }
    return rows;
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

std::vector<std::string> equivalence_alarms(const std::vector<ComparisonRow>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows)
        for (const auto& w : row.warnings)
            if (w.find("equivalence") != std::string::npos)
                out.push_back(row.experiment + " / " + row.study + ": " + w);
    return out;
}

} // namespace detlab::analysis
