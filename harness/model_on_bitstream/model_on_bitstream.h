// Trained models run on bitstreams: a bitstream's simulated gate-level netlist (equiv::NetlistSim)
// serves as a GemmBackend, so a stored model's inference computes every integer product on it,
// and its logits and predictions are compared with the golden model's. The result is stored as
// one run of kind "model_on_bitstream". The bitstream check itself lives in harness/equiv; this
// module adds what needs the training (harness/train).
#pragma once

#include "db/store.h"
#include "harness/accel/accel.h"
#include "harness/equiv/equiv.h"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace detlab::model_on_bitstream {

// ---- A bitstream as a GemmBackend ----
// Every gemm() becomes tile jobs (K split into chunks the board top accepts, wrapped sums
// combined exactly as the accumulator would) run in one simulation of the netlist.
std::unique_ptr<accel::GemmBackend> make_netlist_backend(std::shared_ptr<equiv::NetlistSim> sim);

// ---- Trained models on bitstreams ----
// Which test samples the models run on.
enum class SamplePick {
    first,       // the first `samples` of the test split
    disagreement // first the samples whose golden predictions differ between two models
};
SamplePick parse_sample_pick(const std::string& name); // "first" | "disagreement"
std::string sample_pick_name(SamplePick pick);

struct ModelOptions {
    int samples = 20; // how many samples of the models' test split
    SamplePick pick = SamplePick::first;
    equiv::Simulator simulator = equiv::Simulator::verilator; // inference needs millions of cycles
    std::filesystem::path work_dir;                           // empty: temporary
};

// One stored model (weights.bin of a train run) on one bitstream (a toolchain run).
struct ModelResult {
    std::string train_run, toolchain_run;
    std::vector<int> labels, golden_predictions, netlist_predictions;
    int prediction_mismatches = 0; // samples whose netlist prediction differs from golden
    int logit_mismatches = 0;      // logits not bit-identical to the golden model's
    int correct = 0;               // netlist predictions equal to the label
};

struct ModelReport {
    int samples = 0;
    SamplePick pick = SamplePick::first;
    std::vector<int> sample_indices; // positions in the test split, ascending
    // With `disagreement`: the positions where two models' golden predictions differ when the
    // whole split is one batch. Activations are quantised with one scale per product, so in the
    // smaller batch of picked samples a few of them can come out alike.
    std::vector<int> split_disagreements;
    std::vector<ModelResult> results; // every model on every bitstream, model-major
    // Per pair of models (i < j, in the order given): samples whose golden predictions differ.
    std::vector<std::tuple<std::string, std::string, int>> model_disagreements;
    // Per model: whether its predictions are identical on every bitstream.
    std::vector<std::pair<std::string, bool>> identical_across_bitstreams;
    equiv::SimTiming timing; // summed over the bitstreams' simulations
    double wall_s = 0;
};

// Runs every model on samples of its test split, once with the golden model and once on each
// bitstream (one compiled simulation per bitstream, one simulator run per layer). With
// SamplePick::disagreement the golden model first runs the whole split, and the samples where
// two models' predictions differ come first (then the split's first others, up to `samples`):
// seed-to-seed disagreement is a few percent, so the first samples rarely show it. That needs
// one test split for every model. Unknown runs, runs of the wrong kind, or models with
// different test splits under `disagreement` throw InputError.
ModelReport run_models_on_bitstreams(db::Store& store, const std::vector<std::string>& train_runs,
                                     const std::vector<std::string>& toolchain_runs,
                                     const ModelOptions& options);
nlohmann::json to_json(const ModelReport& report);

// The report as one stored run of kind "model_on_bitstream", so `detlab report` can show it.
// Its configuration is the sorted train runs, toolchain runs and samples (and the pick, when it
// is not `first`), so the same check is always the same configuration (one config_id), whatever
// order the runs were given in. Each call gives a fresh observation id: recording the same check
// again adds another observation of that configuration beside the earlier ones, and nothing
// stored is replaced (Store::record_run never replaces a run). Metrics: prediction_mismatches
// and logit_mismatches (summed over every pair, vs golden), models, bitstreams, samples,
// identical_across_bitstreams (1 when every model predicts the same on every bitstream) and,
// with two or more models, model_disagreement (mean over model pairs of the fraction of samples
// whose golden predictions differ); to_json(report) is the artifact model_on_bitstream.json.
// The host is this machine's name; start time and provenance are left to the caller.
inline constexpr const char* kModelOnBitstreamKind = db::kKindModelOnBitstream;
db::RunResult model_report_run(const ModelReport& report, const std::string& experiment);
// model_report_run with the experiment of the first train run, host, times and provenance,
// recorded in one transaction. Returns the recorded run.
db::RunResult record_model_report(db::Store& store, const ModelReport& report);

} // namespace detlab::model_on_bitstream
