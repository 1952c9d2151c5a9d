// A trained-models-on-bitstreams report stored as a run, so the analysis and the HTML report
// can show it next to the toolchain and training groups.
#include "harness/model_on_bitstream/model_on_bitstream.h"
#include "harness/observation/observation.h"

#include <algorithm>
#include <set>

namespace detlab::model_on_bitstream {
namespace {

std::vector<std::string> sorted_unique(std::set<std::string> values) {
    return {values.begin(), values.end()};
}

} // namespace

db::RunResult model_report_run(const ModelReport& report, const std::string& experiment) {
    std::set<std::string> train, toolchain;
    int prediction_mismatches = 0, logit_mismatches = 0;
    for (const auto& r : report.results) {
        train.insert(r.train_run);
        toolchain.insert(r.toolchain_run);
        prediction_mismatches += r.prediction_mismatches;
        logit_mismatches += r.logit_mismatches;
    }
    // Sorted lists: the order the runs were given in must not change the run's id.
    nlohmann::json config{{"train_runs", sorted_unique(train)},
                          {"toolchain_runs", sorted_unique(toolchain)},
                          {"samples", report.samples}};
    // Only a non-default pick joins the configuration, so earlier runs keep their ids.
    if (report.pick != SamplePick::first)
        config["pick"] = sample_pick_name(report.pick);
    db::RunResult run = observation::start_record(db::RunKind::model_on_bitstream, experiment);
    run.config_json = config.dump();
    run.wall_seconds = report.wall_s;
    run.add_param("train_runs", config["train_runs"].dump());
    run.add_param("toolchain_runs", config["toolchain_runs"].dump());
    run.add_param("samples", std::to_string(report.samples));
    run.add_param("pick", sample_pick_name(report.pick));

    // A short test split gives fewer samples than asked for; fractions use what was run.
    std::size_t samples = report.results.empty() ? static_cast<std::size_t>(report.samples)
                                                 : report.results.front().labels.size();
    bool identical = std::all_of(report.identical_across_bitstreams.begin(),
                                 report.identical_across_bitstreams.end(),
                                 [](const auto& entry) { return entry.second; });
    run.add_metric(db::metric::kPredictionMismatches, prediction_mismatches);
    run.add_metric(db::metric::kLogitMismatches, logit_mismatches);
    run.add_metric(db::metric::kModels, static_cast<double>(train.size()));
    run.add_metric(db::metric::kBitstreams, static_cast<double>(toolchain.size()));
    run.add_metric(db::metric::kSamples, static_cast<double>(samples));
    run.add_metric(db::metric::kIdenticalAcrossBitstreams, identical ? 1 : 0);
    // With one model there is no pair: a 0 would claim agreement that was never measured.
    if (!report.model_disagreements.empty() && samples > 0) {
        double sum = 0;
        for (const auto& [a, b, differ] : report.model_disagreements)
            sum += static_cast<double>(differ) / static_cast<double>(samples);
        run.add_metric(db::metric::kModelDisagreement,
                       sum / static_cast<double>(report.model_disagreements.size()));
    }
    run.add_artifact("model_on_bitstream.json", to_json(report).dump(2) + "\n");
    if (prediction_mismatches > 0 || logit_mismatches > 0)
        run.message = "EQUIVALENCE CHECK FAILED: " + std::to_string(logit_mismatches) +
                      " logits differ from the golden model";
    return run;
}

db::RunResult record_model_report(db::Store& store, const ModelReport& report) {
    std::string experiment;
    if (!report.results.empty())
        if (auto row = store.run(report.results.front().train_run))
            experiment = row->experiment;
    db::RunResult run = model_report_run(report, experiment);
    run.started_at = unix_time_now() - report.wall_s;
    run.provenance = observation::capture_provenance();
    store.record_run(run);
    return run;
}

} // namespace detlab::model_on_bitstream
