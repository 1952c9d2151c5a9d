// What the verdict needs of a group beyond the row's figures: the scope its evidence is matched
// by (design and device; model, data set, schedule, epochs; backend) and the per-run values it
// resamples for the stability of a decision.
#include "analysis/internal.h"

#include <cmath>

namespace detlab::analysis {
namespace {

// The settings that make two studies' evidence about different things. A setting every run
// shares is the group's; one that varies inside the group (its factor) is left out.
std::vector<std::pair<std::string, std::string>> scope_of(const Group& g) {
    static const std::vector<std::pair<std::string, std::string>> toolchain = {
        {"design", "top"}, {"array", "array"}, {"device", "device"}, {"package", "package"}};
    static const std::vector<std::pair<std::string, std::string>> training = {
        {"model", "model"},    {"data set", "dataset"},     {"hidden", "hidden"},
        {"layers", "layers"},  {"schedule", "lr_schedule"}, {"epochs", "epochs"},
        {"backend", "backend"}};
    const auto& keys = db::run_kind(g.kind) == db::RunKind::train ? training : toolchain;
    std::vector<std::pair<std::string, std::string>> scope;
    if (g.runs.empty())
        return scope;
    for (const auto& [label, key] : keys) {
        if (key == g.factor)
            continue;
        std::string value = g.runs.front().param(key);
        bool shared = !value.empty();
        for (const auto& run : g.runs)
            shared = shared && run.param(key) == value;
        if (shared)
            scope.emplace_back(label, value);
    }
    return scope;
}

constexpr const char* kIcetimeFmax = db::metric::kFmaxIcetimeMhz;

double final_metric(const RunData& run, const char* key) {
    auto it = run.final_metrics.find(key);
    return it == run.final_metrics.end() ? std::nan("") : it->second;
}

} // namespace

void attach_verdict_inputs(const GroupSummary& summary, ComparisonRow& row) {
    const Group& g = summary.group;
    row.scope = scope_of(g);
    bool training = summary.training.has_value();
    const char* quality = training ? db::metric::kFinalTestAccuracy : db::metric::kFmaxMhz;
    // The quality figure of a build is icetime's static timing of the packed bitstream where it
    // ran for every run of the row (a timer independent of the placer, issue 25), else nextpnr's
    // own estimate; the figure's name says which.
    if (!training) {
        bool icetime = !g.runs.empty();
        for (const auto& run : g.runs)
            icetime = icetime && !std::isnan(final_metric(run, kIcetimeFmax));
        row.fmax_timer = icetime ? "icetime" : "nextpnr";
        if (icetime)
            quality = kIcetimeFmax;
    }
    for (const auto& run : g.runs)
        if (double v = final_metric(run, quality); !std::isnan(v))
            row.quality_values.push_back(v);
    // The same trials as ComparisonRow::differ: each later run's output against the first's.
    std::string artifact = detail::main_artifact(g.kind);
    if (row.differ && g.runs.size() >= 2)
        for (std::size_t i = 1; i < g.runs.size(); ++i)
            row.differs.push_back(
                detail::sha_of(g.runs[i], artifact) != detail::sha_of(g.runs[0], artifact) ? 1.0
                                                                                           : 0.0);
    if (summary.toolchain) {
        row.normalised_matrix = summary.toolchain->bitstream.normalised_matrix;
        row.functional_matrix = summary.toolchain->functional_matrix;
    } else if (summary.training) {
        row.normalised_matrix = summary.training->weights.normalised_matrix;
        row.functional_matrix = summary.training->disagreement_matrix;
        row.test_samples = summary.training->test_samples;
        attach_training_metrics(*summary.training, row);
    }
}

} // namespace detlab::analysis
