// The design suite's view (issue 27): one row per study of toolchain runs with the design, the
// family and device it ran on and its logic utilisation beside the figures of the comparison
// (share of builds that differ, bit distance between builds, Fmax and its spread), each with n
// and its interval; and a plot of the seed's bit distance and Fmax spread against utilisation.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

namespace detlab::analysis {
namespace {

namespace fs = std::filesystem;

std::string design_of(const RunData& run) {
    std::string top = run.param("top", "detlab_top");
    if (top == "detlab_top") {
        std::string n = run.param("array", "2");
        return "accelerator " + n + "x" + n;
    }
    auto parameters = nlohmann::json::parse(run.param("parameters", "{}"), nullptr, false);
    std::string text = top;
    if (parameters.is_object())
        for (const auto& [name, value] : parameters.items())
            text += " " + name + "=" + value.dump();
    return text;
}

std::string family_of(const RunData& run) {
    std::string family = run.param("family");
    if (!family.empty())
        return family;
    return run.param("device").starts_with("lfe5") ? "ecp5" : "ice40";
}

std::vector<double> metric_values(const Group& group, const std::string& key) {
    std::vector<double> values;
    for (const auto& run : group.runs)
        if (auto it = run.final_metrics.find(key); it != run.final_metrics.end())
            values.push_back(it->second);
    return values;
}

// Labels are data (experiment files, merged stores): one line, no double quote, so a gnuplot
// data file's quoted field cannot end early and nothing reaches the script.
std::string data_label(std::string text) {
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"')
            c = ' ';
    return "\"" + text + "\"";
}

std::string number(double value, int digits) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(digits) << value;
    return out.str();
}

std::string estimate_text(const Estimate& e, int digits, const std::string& unit = "") {
    if (!e.value)
        return "-" + (e.note.empty() ? "" : " (" + e.note + ")");
    std::string text = number(*e.value, digits) + unit;
    if (e.ci)
        text += " [" + number(e.ci->low, digits) + ", " + number(e.ci->high, digits) + "]";
    else if (!e.note.empty())
        text += " (" + e.note + ")";
    return text;
}

// Student's t interval of a mean from n values: a suite study has a few seeds, where the
// percentile bootstrap covers only 55-72% of the time at n = 3 (issue 25); t assumes Fmax is
// roughly normal over seeds, and its interval is wide at small n, as it should be.
Interval mean_t_interval(double mean, double std, std::size_t n) {
    double half = student_t_quantile(1 - (1 - kConfidence) / 2, static_cast<double>(n - 1)) * std /
                  std::sqrt(static_cast<double>(n));
    return {mean - half, mean + half};
}

} // namespace

std::vector<SuiteRow> suite_rows(const std::vector<GroupSummary>& summaries) {
    std::vector<SuiteRow> rows;
    for (const auto& s : summaries) {
        if (!s.toolchain || s.group.runs.empty())
            continue;
        const auto& t = *s.toolchain;
        const auto& first = s.group.runs.front();
        SuiteRow row;
        row.experiment = s.group.experiment;
        row.study = s.group.study;
        row.factor = s.group.factor;
        row.design = design_of(first);
        row.family = family_of(first);
        row.device = first.param("device");
        row.runs = s.group.runs.size();
        row.failed = s.group.failed.size();

        auto utilisation = metric_values(s.group, db::metric::kLogicUtilisationPct);
        Summary u = summarize(utilisation);
        row.utilisation_pct.n = u.n;
        if (u.n > 0) {
            row.utilisation_pct.value = u.mean;
            // Packing may differ by a few cells between builds: the range, not an interval.
            row.utilisation_pct.note = u.min == u.max
                                           ? "same in every build"
                                           : "range " + number(u.min, 1) + ".." + number(u.max, 1);
        }

        if (t.bitstream.differ) {
            const Proportion& p = *t.bitstream.differ;
            row.differ.n = p.n;
            row.differ.value = p.value();
            row.differ.ci = p.ci;
        }
        PairMean hamming = pair_mean(t.bitstream.bits_matrix, s.group.runs.size());
        row.hamming_pct.n = hamming.runs;
        if (!std::isnan(hamming.mean)) {
            row.hamming_pct.value = 100 * hamming.mean;
            if (hamming.ci)
                row.hamming_pct.ci = Interval{100 * hamming.ci->low, 100 * hamming.ci->high};
            else
                row.hamming_pct.note = hamming.all_zero
                                           ? "all identical"
                                           : "n<" + std::to_string(kMinBootstrapRuns) +
                                                 ": no interval (the bootstrap would not cover)";
        }

        auto fmax = metric_values(s.group, db::metric::kFmaxMhz);
        Summary f = summarize(fmax);
        row.fmax_mhz.n = row.fmax_std_mhz.n = f.n;
        if (f.n > 0) {
            row.fmax_mhz.value = f.mean;
            if (f.n >= 2)
                row.fmax_mhz.ci = mean_t_interval(f.mean, f.std, f.n);
            else
                row.fmax_mhz.note = "n=1";
        }
        if (f.n >= 2) {
            row.fmax_std_mhz.value = f.std;
            row.fmax_std_mhz.ci = std_interval(f.std, f.n);
        }
        row.distance_over = t.distance_over;
        row.equivalence = t.equivalence;
        rows.push_back(std::move(row));
    }
    std::stable_sort(rows.begin(), rows.end(), [](const SuiteRow& a, const SuiteRow& b) {
        return std::tie(a.family, a.design, a.device) < std::tie(b.family, b.design, b.device);
    });
    return rows;
}

std::string suite_table(const std::vector<SuiteRow>& rows) {
    std::ostringstream out;
    out << "design suite: one row per study (95% intervals; bit distance: bootstrap over runs, "
           "share differing: Clopper-Pearson, Fmax: Student's t, Fmax std: chi-square)\n";
    for (const auto& r : rows) {
        out << r.family << " " << r.device << " | " << r.design << " | " << r.study << " ("
            << r.factor << ") n=" << r.runs
            << (r.failed ? " failed=" + std::to_string(r.failed) : "") << "\n    utilisation "
            << estimate_text(r.utilisation_pct, 1, "%") << "; builds differing from the first "
            << estimate_text(r.differ, 2) << "; bit distance "
            << estimate_text(r.hamming_pct, 3, "%") << " of " << r.distance_over << "; Fmax "
            << estimate_text(r.fmax_mhz, 1, " MHz") << ", std "
            << estimate_text(r.fmax_std_mhz, 2, " MHz") << "\n    equivalence: " << r.equivalence
            << "\n";
    }
    return out.str();
}

std::string suite_csv(const std::vector<SuiteRow>& rows) {
    std::ostringstream out;
    auto cells = [&](const Estimate& e) {
        auto v = [](std::optional<double> x) {
            return x ? number(*x, 6) : std::string();
        };
        out << "," << e.n << "," << v(e.value) << ","
            << v(e.ci ? std::optional(e.ci->low) : std::nullopt) << ","
            << v(e.ci ? std::optional(e.ci->high) : std::nullopt) << "," << csv_cell(e.note);
    };
    out << "experiment,family,device,design,study,factor,runs,failed";
    for (const char* name :
         {"utilisation_pct", "differ", "hamming_pct", "fmax_mhz", "fmax_std_mhz"})
        out << "," << name << "_n," << name << "," << name << "_low," << name << "_high," << name
            << "_note";
    out << ",distance_over,equivalence\n";
    for (const auto& r : rows) {
        out << csv_cell(r.experiment) << "," << csv_cell(r.family) << "," << csv_cell(r.device)
            << "," << csv_cell(r.design) << "," << csv_cell(r.study) << "," << csv_cell(r.factor)
            << "," << r.runs << "," << r.failed;
        for (const Estimate* e :
             {&r.utilisation_pct, &r.differ, &r.hamming_pct, &r.fmax_mhz, &r.fmax_std_mhz})
            cells(*e);
        out << "," << csv_cell(r.distance_over) << "," << csv_cell(r.equivalence) << "\n";
    }
    return out.str();
}

std::vector<PlotFile> suite_plots(const std::vector<SuiteRow>& rows, const fs::path& dir) {
    std::vector<PlotFile> plots;
    // One data block per family (gnuplot's index), seed studies only: x utilisation, y figure,
    // y low, y high, label.
    struct Figure {
        const char* name;
        const char* title;
        const char* ylabel;
        const Estimate SuiteRow::*estimate;
    };
    const Figure figures[] = {
        {"suite_hamming", "Bit distance between seeds vs logic utilisation",
         "bit distance between two seeds (% of configuration bits)", &SuiteRow::hamming_pct},
        {"suite_fmax_std", "Fmax spread over seeds vs logic utilisation",
         "std of Fmax over seeds (MHz)", &SuiteRow::fmax_std_mhz},
    };
    std::vector<std::string> families;
    for (const auto& r : rows)
        if (std::find(families.begin(), families.end(), r.family) == families.end())
            families.push_back(r.family);
    for (const auto& figure : figures) {
        std::ostringstream data;
        std::vector<std::string> present;
        for (const auto& family : families) {
            std::ostringstream block;
            for (const auto& r : rows) {
                const Estimate& e = r.*figure.estimate;
                if (r.family != family || r.factor != "seed" || !e.value ||
                    !r.utilisation_pct.value)
                    continue;
                double low = e.ci ? e.ci->low : *e.value, high = e.ci ? e.ci->high : *e.value;
                block << *r.utilisation_pct.value << " " << *e.value << " " << low << " " << high
                      << " " << data_label(r.design + " n=" + std::to_string(e.n)) << "\n";
            }
            if (block.str().empty())
                continue;
            data << block.str() << "\n\n";
            present.push_back(family);
        }
        if (present.empty())
            continue;
        std::string name = figure.name;
        write_file(dir / (name + ".dat"), data.str());
        std::string script = std::string("set title '") + figure.title +
                             " (95% intervals)'\nset xlabel 'logic utilisation (%)'\n"
                             "set ylabel '" +
                             figure.ylabel +
                             "'\nset grid\nset key outside right top\nset xrange [0:100]\n"
                             "plot ";
        for (std::size_t i = 0; i < present.size(); ++i) {
            // Family names come from stored params: only a fixed set reaches the script.
            std::string title = present[i] == "ecp5"    ? "ECP5"
                                : present[i] == "ice40" ? "iCE40"
                                                        : "other";
            script += (i ? ", " : "") + std::string("'") + name + ".dat' index " +
                      std::to_string(i) + " using 1:2:3:4 with yerrorbars pt 7 title '" + title +
                      "', '' index " + std::to_string(i) +
                      " using 1:2:5 with labels offset 1,0.6 left font ',8' notitle";
        }
        write_file(dir / (name + ".gp"), script + "\n");
        PlotFile plot{figure.title, dir / (name + ".svg"), dir / (name + ".png")};
        for (const auto& [terminal, output] :
             {std::pair<std::string, fs::path>{"set terminal svg size 900,500 noenhanced",
                                               plot.svg},
              {"set terminal pngcairo size 900,500 noenhanced", plot.png}}) {
            process::Spec spec;
            spec.argv = {"gnuplot", "-e",
                         terminal + "; set output '" + output.filename().string() + "'",
                         name + ".gp"};
            spec.cwd = dir;
            spec.timeout = std::chrono::seconds(60);
            auto result = process::run(spec);
            if (!result.ok())
                throw std::runtime_error("gnuplot failed on " + (dir / (name + ".gp")).string() +
                                         ": " + result.err + result.error);
        }
        plots.push_back(plot);
    }
    return plots;
}

} // namespace detlab::analysis
