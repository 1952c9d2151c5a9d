// Plots with gnuplot: each plot is a data file plus a script file in the output directory,
// rendered twice (SVG and PNG) by running gnuplot without a shell.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace detlab::analysis {
namespace {

namespace fs = std::filesystem;

// Names come from experiment files and merged databases, so they are data and must never
// become gnuplot code. In a script, gnuplot runs `...` inside double quotes through the shell
// and ends a command at a newline, so script text uses single quotes (no backquote, backslash
// or macro processing; a quote is written twice) with every control character made a space.
// Data-file labels are double-quoted fields that end at the next '"' or newline.
std::string one_line(std::string text) {
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    return text;
}

std::string script_string(const std::string& text) {
    std::string out = "'";
    for (char c : one_line(text))
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string data_label(std::string text) {
    text = one_line(std::move(text));
    std::replace(text.begin(), text.end(), '"', '\'');
    return "\"" + text + "\"";
}

std::string short_label(const Group& g) {
    return g.study + ": " + g.factor;
}

void render(const fs::path& dir, const std::string& name, const std::string& title,
            const std::string& script, std::vector<PlotFile>& plots, int width = 900,
            int height = 500) {
    write_file(dir / (name + ".gp"), script);
    PlotFile plot{title, dir / (name + ".svg"), dir / (name + ".png")};
    std::string size = " size " + std::to_string(width) + "," + std::to_string(height);
    const std::vector<std::pair<std::string, fs::path>> terminals{
        {"set terminal svg" + size + " noenhanced font 'Sans,11' background '#ffffff'", plot.svg},
        {"set terminal pngcairo" + size + " noenhanced font 'Sans,10'", plot.png}};
    for (const auto& [terminal, output] : terminals) {
        process::Spec spec;
        spec.argv = {"gnuplot", "-e",
                     terminal + "; set output '" + output.filename().string() + "'", name + ".gp"};
        spec.cwd = dir;
        spec.timeout = std::chrono::seconds(60);
        process::Result result = process::run(spec);
        if (!result.ok())
            throw std::runtime_error("gnuplot failed on " + (dir / (name + ".gp")).string() + " (" +
                                     result.describe() + "): " + result.err + result.error);
    }
    plots.push_back(plot);
}

void fmax_plot(const std::vector<GroupSummary>& summaries, const fs::path& dir,
               std::vector<PlotFile>& plots) {
    std::ostringstream points, means;
    int x = 0;
    for (const auto& s : summaries) {
        if (!s.toolchain || s.toolchain->fmax_mhz.n < 2)
            continue;
        ++x;
        int i = 0;
        for (const auto& run : s.group.runs)
            if (auto it = run.final_metrics.find(db::metric::kFmaxMhz);
                it != run.final_metrics.end())
                points << x + 0.04 * ((i++ % 9) - 4) << " " << it->second << "\n";
        means << x << " " << s.toolchain->fmax_mhz.mean << " " << s.toolchain->fmax_mhz.std << " "
              << data_label(short_label(s.group)) << "\n";
    }
    if (x == 0)
        return;
    write_file(dir / "fmax_points.dat", points.str());
    write_file(dir / "fmax_means.dat", means.str());
    std::string script =
        "set title 'Fmax of every build, per factor (nextpnr timing report)'\n"
        "set ylabel 'Fmax (MHz)'\nset xlabel 'study: factor varied'\n"
        "set xrange [0.4:" +
        std::to_string(x) +
        ".6]\nset grid ytics\n"
        "set xtics rotate by -20\nset key outside right top vertical\n"
        "plot 'fmax_points.dat' using 1:2 with points pt 7 ps 0.6 lc rgb '#4477aa' "
        "title 'one build', 'fmax_means.dat' using 1:2:3:xtic(4) with yerrorbars "
        "pt 5 ps 1.2 lc rgb '#cc3311' title 'mean +/- std'\n";
    render(dir, "fmax", "Fmax distribution per factor", script, plots);
}

void heatmap_plot(const std::vector<GroupSummary>& summaries, const fs::path& dir,
                  std::vector<PlotFile>& plots) {
    const GroupSummary* best = nullptr;
    for (const auto& s : summaries) {
        if (!s.toolchain || s.toolchain->hamming_matrix.size() < 4)
            continue;
        auto score = [](const GroupSummary& g) {
            return std::make_pair(g.toolchain->hamming.max > 0, g.group.runs.size());
        };
        if (!best || score(s) > score(*best))
            best = &s;
    }
    if (!best)
        return;
    std::size_t n = best->group.runs.size();
    std::ostringstream data;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < n; ++j)
            data << (j ? " " : "") << best->toolchain->hamming_matrix[i * n + j] * 100;
        data << "\n";
    }
    write_file(dir / "heatmap.dat", data.str());
    // Tic labels name each build by its factor value; large groups label every k-th build.
    std::string tics = "(";
    std::size_t step = std::max<std::size_t>(1, n / 20);
    for (std::size_t i = 0; i < n; i += step)
        tics += (i ? ", " : "") +
                script_string(best->group.runs[i].param(
                    db::param::kFactorValue, std::to_string(best->group.runs[i].row.repeat))) +
                " " + std::to_string(i);
    tics += ")";
    std::string last = std::to_string(n) + "-0.5";
    std::string script = "set title " +
                         script_string("Pairwise bitstream distance, " + short_label(best->group) +
                                       " (" + best->toolchain->distance_over + " bits)") +
                         "\nset xlabel " + script_string("build (" + best->group.factor + ")") +
                         "\nset ylabel " + script_string("build (" + best->group.factor + ")") +
                         "\nset cblabel 'Hamming distance (% of configuration bits)'\n"
                         "set palette defined (0 '#ffffff', 1 '#fdae61', 2 '#d7191c')\n"
                         "set size ratio -1\nset xrange [-0.5:" +
                         last + "]\nset yrange [" + last + ":-0.5]\nset xtics " + tics +
                         " rotate by -45\nset ytics " + tics +
                         "\nplot 'heatmap.dat' matrix with image pixels notitle\n";
    render(dir, "heatmap", "Heat map of pairwise bitstream distances", script, plots, 700, 560);
}

void curves_plots(const std::vector<GroupSummary>& summaries, const fs::path& dir,
                  std::vector<PlotFile>& plots) {
    int index = 0;
    for (const auto& s : summaries) {
        if (!s.training || index >= 8)
            continue;
        std::ostringstream data;
        std::string series;
        int blocks = 0;
        std::int64_t last_epoch = 1;
        for (const auto& run : s.group.runs) {
            auto it = run.curves.find("test_accuracy");
            if (it == run.curves.end())
                continue;
            for (const auto& [epoch, value] : it->second) {
                data << epoch << " " << value * 100 << "\n";
                last_epoch = std::max(last_epoch, epoch);
            }
            data << "\n\n";
            std::string name = s.group.factor + "=" + run.param(db::param::kFactorValue, "?") +
                               " r" + std::to_string(run.row.repeat);
            series += std::string(blocks ? ", ''" : "'curves_" + std::to_string(index) + ".dat'") +
                      " index " + std::to_string(blocks) +
                      " using 1:2 with linespoints pt 7 ps 0.5 " +
                      (blocks < 12 ? "title " + script_string(name) : std::string("notitle"));
            ++blocks;
        }
        if (blocks == 0)
            continue;
        std::string name = "curves_" + std::to_string(index++);
        write_file(dir / (name + ".dat"), data.str());
        std::string script =
            "set title " +
            script_string("Test accuracy per epoch, every run of " + short_label(s.group)) +
            "\nset xlabel 'epoch'\nset ylabel 'test accuracy (%)'\nset grid\nset xtics " +
            std::to_string(std::max<std::int64_t>(1, last_epoch / 10)) +
            "\n"
            "set key outside right top\nplot " +
            series + "\n";
        render(dir, name, "Training curves: " + s.group.label(), script, plots);
    }
}

void disagreement_plot(const std::vector<GroupSummary>& summaries, const fs::path& dir,
                       std::vector<PlotFile>& plots) {
    std::ostringstream data;
    int x = 0;
    for (const auto& s : summaries) {
        if (!s.training || s.training->disagreement.n == 0)
            continue;
        const Summary& d = s.training->disagreement;
        data << ++x << " " << d.mean * 100 << " " << d.min * 100 << " " << d.max * 100 << " "
             << data_label(short_label(s.group)) << "\n";
    }
    if (x == 0)
        return;
    write_file(dir / "disagreement.dat", data.str());
    std::string script = "set title 'Prediction disagreement on the test split, per factor'\n"
                         "set ylabel 'test samples predicted differently (%)'\n"
                         "set xlabel 'study: factor varied'\nset yrange [0:*]\nset grid ytics\n"
                         "set xrange [0.4:" +
                         std::to_string(x) +
                         ".6]\nset boxwidth 0.6\n"
                         "set style fill solid 0.7\nset xtics rotate by -20\n"
                         "set key outside bottom center horizontal\n"
                         "plot 'disagreement.dat' using 1:2:xtic(5) with boxes lc rgb '#228833' "
                         "title 'mean over pairs', '' using 1:2:3:4 with yerrorbars lc rgb "
                         "'#000000' pt 0 title 'min..max'\n";
    render(dir, "disagreement", "Disagreement per factor", script, plots);
}

// The order of the headline figure's sources: the three that exist in both domains first.
std::string paired_label(const std::string& source) {
    if (source == source_name(Source::seed))
        return "seed: placement / init";
    if (source == source_name(Source::repeat))
        return "plain repeat";
    if (source == source_name(Source::parallel))
        return "parallel: refine / reduction";
    return source;
}

std::string value_or_missing(std::optional<double> v, double scale = 1) {
    if (!v || !std::isfinite(*v))
        return "?";
    std::ostringstream out;
    out << *v * scale;
    return out.str();
}

// value low high of an estimate; an all-identical group is 0 with a zero-width interval.
std::string estimate_columns(const Estimate& e, double scale = 1) {
    std::optional<double> lo = e.ci ? std::optional(e.ci->low) : e.value;
    std::optional<double> hi = e.ci ? std::optional(e.ci->high) : e.value;
    return value_or_missing(e.value, scale) + " " + value_or_missing(lo, scale) + " " +
           value_or_missing(hi, scale);
}

// The headline figure: per source of variation, toolchain and training side by side on the
// common scale, each bar with its 95% interval (runs as units).
void domains_plot(const std::vector<GroupSummary>& summaries, const fs::path& dir,
                  std::vector<PlotFile>& plots) {
    auto rows = comparison_rows(summaries);
    std::vector<std::string> sources{source_name(Source::seed), source_name(Source::repeat),
                                     source_name(Source::parallel)};
    for (const auto& domain : {"toolchain", "training"})
        for (const auto& row : rows)
            if (row.domain == domain &&
                std::find(sources.begin(), sources.end(), source_name(row.source, row.factor)) ==
                    sources.end())
                sources.push_back(source_name(row.source, row.factor));
    auto largest = [&](const std::string& domain, const std::string& source) {
        const ComparisonRow* best = nullptr;
        for (const auto& row : rows)
            if (row.domain == domain && source_name(row.source, row.factor) == source &&
                row.runs >= 2 && (!best || row.runs > best->runs))
                best = &row;
        return best;
    };
    std::ostringstream data;
    std::string tics;
    int x = 0;
    bool measured[3] = {false, false, false}; // per panel: does any bar have a value?
    for (const auto& source : sources) {
        const ComparisonRow* pair[2] = {largest("toolchain", source), largest("training", source)};
        if (!pair[0] && !pair[1])
            continue;
        // n beside the label: toolchain runs / training runs ("-" where a domain has none).
        std::string n = "n=" + (pair[0] ? std::to_string(pair[0]->runs) : std::string("-")) + "/" +
                        (pair[1] ? std::to_string(pair[1]->runs) : std::string("-"));
        data << ++x << " " << data_label(paired_label(source));
        tics += (tics.empty() ? "" : ", ") + script_string(paired_label(source) + ", " + n) + " " +
                std::to_string(x);
        for (const ComparisonRow* row : pair) {
            if (!row) {
                data << " ? ? ? ? ? ? ? ? ? ?";
                continue;
            }
            Estimate differ;
            if (row->differ) {
                differ.value = row->differ->value();
                differ.ci = row->differ->ci;
            }
            measured[0] = measured[0] || differ.value;
            measured[1] = measured[1] || row->normalised.value;
            measured[2] = measured[2] || row->quality_relative.value;
            data << " " << estimate_columns(differ, 100) << " " << estimate_columns(row->normalised)
                 << " " << estimate_columns(row->quality_relative) << " " << row->runs;
        }
        data << "\n";
    }
    if (x == 0)
        return;
    write_file(dir / "domains.dat", data.str());
    // Columns: 1 x, 2 label, toolchain 3-5 differ %, 6-8 normalised, 9-11 CV %, 12 n, training
    // the same from 13.
    auto panel = [&measured](int column, const std::string& title, const std::string& ylabel) {
        if (!measured[(column - 3) / 3]) // gnuplot refuses a plot without a single point
            return "set title " + script_string(title) + "\nset ylabel " + script_string(ylabel) +
                   "\nset yrange [0:1]\nset label 1 'not measured' at graph 0.5,0.5 center\n"
                   "plot 'domains.dat' using 1:(0) with dots lc rgb '#ffffff' notitle\n"
                   "unset label 1\nset yrange [0:*]\n";
        std::string tc = std::to_string(column), tr = std::to_string(column + 10);
        auto range = [](int c) {
            return std::to_string(c + 1) + ":" + std::to_string(c + 2);
        };
        return "set title " + script_string(title) + "\nset ylabel " + script_string(ylabel) +
               "\nplot 'domains.dat' using ($1-0.2):" + tc +
               " with boxes lc rgb '#4477aa' title 'toolchain (bitstream, Fmax)', "
               "'' using ($1+0.2):" +
               tr +
               " with boxes lc rgb '#ee7733' title 'training (weights, accuracy)', "
               "'' using ($1-0.2):" +
               tc + ":" + range(column) +
               " with yerrorbars lc rgb '#000000' pt 7 ps 0.4 title 'value (a dot on the axis: "
               "exactly 0) and 95% interval', "
               "'' using ($1+0.2):" +
               tr + ":" + range(column + 10) +
               " with yerrorbars lc rgb '#000000' pt 7 ps 0.4 notitle\n" + "unset key\n";
    };
    std::string script =
        "set datafile missing '?'\nset multiplot layout 3,1\n"
        "set style fill solid 0.8\nset boxwidth 0.4\nset grid ytics\n"
        "set xtics rotate by -30 font ',9' nomirror (" +
        tics +
        ")\nset key at screen 0.5,0.015 center horizontal font ',10'\n"
        "set lmargin 12\nset rmargin 12\nset bmargin 8\nset tmargin 2\nset xrange [0.3:" +
        std::to_string(x) + ".7]\nset yrange [0:*]\n" +
        panel(3, "Runs whose output differs from the first", "% of runs (exact 95% interval)") +
        panel(6, "Output distance on the common scale",
              "share of the distance between unrelated outputs") +
        panel(9, "Quality spread", "CV of Fmax or of test accuracy (%)") + "unset multiplot\n";
    // One panel a row: with every source of an experiment (about 20) the rotated labels need the
    // whole width.
    render(dir, "domains", "Both domains side by side (headline figure)", script, plots, 1400,
           1300);
}

} // namespace

namespace detail {
void render_plot(const fs::path& dir, const std::string& name, const std::string& title,
                 const std::string& script, std::vector<PlotFile>& plots, int width, int height) {
    render(dir, name, title, script, plots, width, height);
}
std::string plot_data_label(const std::string& text) {
    return data_label(text);
}
} // namespace detail

std::vector<PlotFile> make_plots(const std::vector<GroupSummary>& summaries,
                                 const std::filesystem::path& dir) {
    fs::create_directories(dir);
    std::vector<PlotFile> plots;
    domains_plot(summaries, dir, plots);
    fmax_plot(summaries, dir, plots);
    heatmap_plot(summaries, dir, plots);
    disagreement_plot(summaries, dir, plots);
    curves_plots(summaries, dir, plots);
    return plots;
}

} // namespace detlab::analysis
