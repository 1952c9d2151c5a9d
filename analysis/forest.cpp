// The forest plots against the baseline, every source of both domains on one page: the effects
// on quality (`forest`) and the distances from the baseline's outputs (`forest_distance`).
#include "analysis/internal.h"

#include <algorithm>
#include <sstream>

namespace detlab::analysis {
namespace {

struct ForestLine {
    double value, low, high;
    std::string label; // data: reaches gnuplot only through plot_data_label in the .dat file
};

// One panel of a forest plot; every field but `lines` is detlab's own text, never data.
struct ForestPanel {
    std::string title, file, axis;
    std::string settings; // extra gnuplot settings (x range, reference lines)
    std::vector<ForestLine> lines;
};

// "experiment/study (source, machine, n=N<tail>)": what a line of either plot says it is.
std::string line_label(const ComparisonRow& r, std::size_t n, const std::string& tail = "") {
    return r.experiment + "/" + r.study + " (" + source_name(r.source, r.factor) + ", " +
           r.machine.label() + ", n=" + std::to_string(n) + tail + ")";
}

// A single-quoted gnuplot string of detlab's own text (a quote is doubled; no data comes here).
std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// Draws `panels` one above the other, their lines in the order given bottom to top (gnuplot's y
// grows upwards, so the largest goes last); panels without lines are left out.
std::optional<PlotFile> draw_forest(std::vector<ForestPanel> panels,
                                    const std::filesystem::path& dir, const std::string& name,
                                    const std::string& title) {
    std::erase_if(panels, [](const ForestPanel& p) { return p.lines.empty(); });
    if (panels.empty())
        return std::nullopt;
    std::filesystem::create_directories(dir);
    std::size_t lines = 0, longest = 0;
    for (const auto& panel : panels) {
        for (const auto& line : panel.lines)
            longest = std::max(longest, line.label.size());
        std::ostringstream data;
        int y = 0;
        for (const auto& line : panel.lines)
            data << ++y << " " << line.value << " " << line.low << " " << line.high << " "
                 << detail::plot_data_label(line.label) << "\n";
        write_file(dir / panel.file, data.str());
        lines += panel.lines.size();
    }
    // The labels sit in the left margin, counted in character widths of which a label's average
    // character takes about 7/8; within what a page shows; the plot keeps 600 px.
    std::size_t margin = std::clamp<std::size_t>(longest * 7 / 8 + 3, 30, 100);
    std::ostringstream script;
    script << "set multiplot layout " << panels.size() << ",1\n"
           << "set key off\nset grid xtics\nset lmargin " << margin << "\n";
    for (const auto& panel : panels)
        script << "set title " << quoted(panel.title) << "\nset xlabel " << quoted(panel.axis)
               << "\n"
               << "set yrange [0:" << panel.lines.size() + 1 << "]\n"
               << "unset arrow\nset xrange [*:*]\n"
               << panel.settings << "plot '" << panel.file
               << "' using 2:1:3:4:ytic(5) with xerrorbars pointtype 7 lc rgb '#1f5fa6'\n";
    script << "unset multiplot\n";
    std::vector<PlotFile> plots;
    // Each panel's title and axis take about 100 px, each line about 40.
    detail::render_plot(dir, name, title, script.str(), plots, 600 + 8 * static_cast<int>(margin),
                        60 + 100 * static_cast<int>(panels.size()) + 40 * static_cast<int>(lines));
    return plots.front();
}

const char* const kZeroLine = "set arrow 1 from first 0, graph 0 to first 0, graph 1 nohead "
                              "dashtype 2\n";

} // namespace

std::optional<PlotFile> forest_plot(const std::vector<ComparisonRow>& rows,
                                    const std::filesystem::path& dir) {
    std::vector<ForestPanel> panels{{"toolchain",
                                     "forest_toolchain.dat",
                                     "Fmax - baseline Fmax (MHz), 95% Welch",
                                     kZeroLine,
                                     {}},
                                    {"training",
                                     "forest_training.dat",
                                     "accuracy - baseline accuracy (pp), 95% Welch",
                                     kZeroLine,
                                     {}}};
    std::vector<const ComparisonRow*> ranked;
    for (const auto& row : rows)
        if (row.effect.value && row.effect.ci)
            ranked.push_back(&row);
    // Largest |effect| on top, so rank 1 is written last.
    std::sort(ranked.begin(), ranked.end(),
              [](const auto* a, const auto* b) { return a->effect_rank > b->effect_rank; });
    for (const auto* r : ranked)
        for (auto& panel : panels)
            if (r->domain == panel.title)
                panel.lines.push_back({*r->effect.value, r->effect.ci->low, r->effect.ci->high,
                                       line_label(*r, r->runs)});
    return draw_forest(std::move(panels), dir, "forest",
                       "Effects against the baseline (forest plot)");
}

std::optional<PlotFile> distance_forest_plot(const std::vector<ComparisonRow>& rows,
                                             const std::filesystem::path& dir) {
    // Training shows both figures. The bit distance puts both domains on one scale, the question
    // detlab asks, but a float32 weight's bits are about as far from the baseline's as unrelated
    // weights' after any change of seed (0.999 in lab.toml's store), so it cannot rank training's
    // sources; the prediction disagreement does, and says what the distance means in behaviour.
    auto line = [](const ComparisonRow& r, const Estimate& e, double scale) {
        std::string tail = " vs " + std::to_string(r.baseline_runs) +
                           (r.baseline_identical ? " identical" : "") + " baseline runs";
        return ForestLine{*e.value * scale, e.ci->low * scale, e.ci->high * scale,
                          line_label(r, e.n, tail)};
    };
    std::vector<ForestPanel> panels{
        {"toolchain: bitstream bits",
         "forest_distance_toolchain.dat",
         "mean bit distance from the baseline's outputs (1 = unrelated), 95% bootstrap",
         "",
         {}},
        {"training: weight bits",
         "forest_distance_training.dat",
         "mean bit distance from the baseline's outputs (1 = unrelated), 95% bootstrap",
         "",
         {}},
        {"training: predictions",
         "forest_distance_predictions.dat",
         "test inputs predicted differently from a baseline model (%), 95% bootstrap",
         "set xrange [0:*]\n",
         {}}};
    double widest = 1; // both bit panels share one x range, so the domains compare by eye
    for (const auto& r : rows) {
        bool training = r.domain == "training";
        if (const auto& e = r.distance_from_baseline; e.value && e.ci) {
            panels[training ? 1 : 0].lines.push_back(line(r, e, 1));
            widest = std::max(widest, e.ci->high);
        }
        if (const auto& e = r.disagreement_from_baseline; training && e.value && e.ci)
            panels[2].lines.push_back(line(r, e, 100));
    }
    std::string bits_range = "set xrange [0:" + std::to_string(widest * 1.05) +
                             "]\nset arrow 1 from first 1, graph 0 to first 1, graph 1 nohead "
                             "dashtype 2\n";
    panels[0].settings = panels[1].settings = bits_range;
    for (auto& panel : panels) // largest on top
        std::sort(panel.lines.begin(), panel.lines.end(),
                  [](const ForestLine& a, const ForestLine& b) { return a.value < b.value; });
    return draw_forest(std::move(panels), dir, "forest_distance",
                       "Distances from the baseline's outputs (forest plot)");
}

} // namespace detlab::analysis
