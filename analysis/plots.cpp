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
            if (auto it = run.final_metrics.find("fmax_mhz"); it != run.final_metrics.end())
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
                    "factor_value", std::to_string(best->group.runs[i].row.repeat))) +
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
            std::string name = s.group.factor + "=" + run.param("factor_value", "?") + " r" +
                               std::to_string(run.row.repeat);
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

void domains_plot(const std::vector<GroupSummary>& summaries, const fs::path& dir,
                  std::vector<PlotFile>& plots) {
    std::ostringstream data;
    int x = 0;
    for (const auto& row : comparison_rows(summaries)) {
        if (!row.identical_pct)
            continue;
        double distance = row.representational.value_or(0) * 100;
        data << ++x << " " << data_label(row.study + ": " + row.factor) << " " << *row.identical_pct
             << " " << distance << " " << (row.domain == "toolchain" ? 0 : 1) << "\n";
    }
    if (x == 0)
        return;
    write_file(dir / "domains.dat", data.str());
    std::string range = "set xrange [0.4:" + std::to_string(x) + ".6]\n";
    auto bars = [](const std::string& column) {
        return "plot 'domains.dat' using 1:($5==0?$" + column +
               ":1/0):xtic(2) with boxes lc rgb '#4477aa' title 'toolchain (bitstream)', '' using "
               "1:($5==1?$" +
               column +
               ":1/0) with boxes lc rgb '#ee7733' title 'training "
               "(weights)'\n";
    };
    std::string script =
        "set multiplot layout 1,2\n"
        "set style fill solid 0.8\nset boxwidth 0.6\nset grid ytics\n"
        "set xtics rotate by -35 font ',8'\nset key outside top center horizontal\n" +
        range +
        "set title 'Bit-identical output pairs'\nset ylabel 'identical pairs "
        "(%)'\nset yrange [0:105]\n" +
        bars("3") +
        "set title 'Representational distance'\nset ylabel 'differing bits, mean "
        "over pairs (%)'\nset yrange [0:*]\n" +
        bars("4") + "unset multiplot\n";
    render(dir, "domains", "Both domains side by side", script, plots, 1200, 560);
}

} // namespace

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
