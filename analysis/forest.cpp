// The forest plot of effects against the baseline: every source of both domains on one page.
#include "analysis/internal.h"

#include <algorithm>
#include <sstream>

namespace detlab::analysis {

std::optional<PlotFile> forest_plot(const std::vector<ComparisonRow>& rows,
                                    const std::filesystem::path& dir) {
    struct Panel {
        std::string domain, file, axis;
        std::vector<const ComparisonRow*> rows;
    };
    std::vector<Panel> panels{
        {"toolchain", "forest_toolchain.dat", "Fmax - baseline Fmax (MHz), 95% Welch", {}},
        {"training", "forest_training.dat", "accuracy - baseline accuracy (pp), 95% Welch", {}}};
    for (const auto& row : rows)
        for (auto& panel : panels)
            if (row.domain == panel.domain && row.effect.value && row.effect.ci)
                panel.rows.push_back(&row);
    std::erase_if(panels, [](const Panel& p) { return p.rows.empty(); });
    if (panels.empty())
        return std::nullopt;
    std::filesystem::create_directories(dir);
    std::size_t most = 0;
    for (auto& panel : panels) {
        // Largest effect on top: gnuplot's y grows upwards, so it is written last.
        std::sort(panel.rows.begin(), panel.rows.end(),
                  [](const auto* a, const auto* b) { return a->effect_rank > b->effect_rank; });
        std::ostringstream data;
        int y = 0;
        for (const auto* r : panel.rows)
            data << ++y << " " << *r->effect.value << " " << r->effect.ci->low << " "
                 << r->effect.ci->high << " "
                 << detail::plot_data_label(
                        r->experiment + "/" + r->study + " (" + source_name(r->source, r->factor) +
                        ", " + r->machine.label() + ", n=" + std::to_string(r->runs) + ")")
                 << "\n";
        write_file(dir / panel.file, data.str());
        most = std::max(most, panel.rows.size());
    }
    std::ostringstream script;
    script << "set multiplot layout " << panels.size() << ",1\n"
           << "set key off\nset grid xtics\nset lmargin 50\n";
    for (const auto& panel : panels)
        script << "set title '" << panel.domain << "'\nset xlabel '" << panel.axis << "'\n"
               << "set yrange [0:" << panel.rows.size() + 1 << "]\n"
               << "set arrow 1 from first 0, graph 0 to first 0, graph 1 nohead dashtype 2\n"
               << "plot '" << panel.file
               << "' using 2:1:3:4:ytic(5) with xerrorbars pointtype 7 lc rgb '#1f5fa6'\n";
    script << "unset multiplot\n";
    std::vector<PlotFile> plots;
    detail::render_plot(dir, "forest", "Effects against the baseline (forest plot)", script.str(),
                        plots, 1000, 160 + 40 * static_cast<int>(most * panels.size()));
    return plots.front();
}

} // namespace detlab::analysis
