// The names the store keeps as data and several modules read: run statuses, run kinds, artifact
// and metric names. They are stored data: renaming one orphans every stored run that uses it.
// Part of the db module's public header (db/store.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::db {

// Status of a run. Only "done" runs are skipped when a sweep resumes.
inline constexpr const char* kStatusDone = "done";
inline constexpr const char* kStatusFailed = "failed";
inline constexpr const char* kStatusTimeout = "timeout";

// The kinds of run the store holds, named once: the two domains and the cross-domain check.
// Code compares RunKind values; the store keeps the text of kind_name (stored data: renaming
// one orphans every stored run of that kind).
enum class RunKind { toolchain, train, model_on_bitstream };
inline constexpr RunKind kAllRunKinds[] = {RunKind::toolchain, RunKind::train,
                                           RunKind::model_on_bitstream};
constexpr const char* kind_name(RunKind kind) {
    switch (kind) {
    case RunKind::toolchain:
        return "toolchain";
    case RunKind::train:
        return "train";
    case RunKind::model_on_bitstream:
        return "model_on_bitstream";
    }
    return "";
}
// The kind a stored text names; nullopt for a text no kind has.
inline std::optional<RunKind> run_kind(std::string_view name) {
    for (RunKind kind : kAllRunKinds)
        if (name == kind_name(kind))
            return kind;
    return std::nullopt;
}
inline constexpr const char* kKindToolchain = kind_name(RunKind::toolchain);
inline constexpr const char* kKindTrain = kind_name(RunKind::train);
inline constexpr const char* kKindModelOnBitstream = kind_name(RunKind::model_on_bitstream);
// The stored texts of all kinds, in RunKind order (the CLI's --kind accepts exactly these).
inline const std::vector<std::string>& run_kinds() {
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> names;
        for (RunKind kind : kAllRunKinds)
            names.emplace_back(kind_name(kind));
        return names;
    }();
    return kinds;
}

// Artifact names that one module stores and others read (the analysis, the equivalence check,
// the CLI), named once. They are stored data: renaming one orphans every stored run's artifact.
namespace artifact {
inline constexpr const char* kNetlist = "netlist.json";    // toolchain: yosys's netlist
inline constexpr const char* kAsc = "bitstream.asc";       // toolchain: nextpnr's ASCII bitstream
inline constexpr const char* kBitstream = "bitstream.bin"; // toolchain: icepack's bitstream
inline constexpr const char* kEquivResult = "equiv_result.json";  // equiv: the check's verdict
inline constexpr const char* kEquivOutputs = "equiv_outputs.bin"; // equiv: outputs per vector
inline constexpr const char* kWeights = "weights.bin";            // train: final weights (DLTN)
inline constexpr const char* kTestLogits = "test_logits.bin"; // train: last epoch's test outputs
} // namespace artifact

// Parameter names a sweep records for every run it plans (harness/sweep) and the CLI and the
// analysis read to group runs, named once (stored data, like the artifact names).
namespace param {
inline constexpr const char* kStudy = "study";              // the study's name
inline constexpr const char* kFactor = "factor";            // the factor the study varies
inline constexpr const char* kFactorValue = "factor_value"; // the run's point, as JSON text
} // namespace param

// Metric names that one module records and others read, named once (stored data, like the
// artifact names).
namespace metric {
inline constexpr const char* kFmaxMhz = "fmax_mhz";                // toolchain (nextpnr)
inline constexpr const char* kFmaxIcetimeMhz = "fmax_icetime_mhz"; // toolchain (icetime, iCE40)
inline constexpr const char* kLogicUtilisationPct = "logic_utilisation_pct"; // toolchain
// A build's cell counts from nextpnr's report, one name per kind of cell across families.
inline constexpr const char* kLogicCells = "logic_cells";
inline constexpr const char* kRamBlocks = "ram_blocks";
inline constexpr const char* kIoCells = "io_cells";
inline constexpr const char* kGlobalBuffers = "global_buffers";
inline constexpr const char* kDspBlocks = "dsp_blocks";
// A build's times: the tools' sum, the whole run's, and the harness's share (their difference).
inline constexpr const char* kToolsWallS = "tools_wall_s";
inline constexpr const char* kTotalWallS = "total_wall_s";
inline constexpr const char* kHarnessOverheadS = "harness_overhead_s";
// Each tool stage's cost, recorded as "<stage>_wall_s" and so on (stage: yosys, nextpnr, ...).
inline std::string stage_wall_s(std::string_view stage) {
    return std::string(stage) + "_wall_s";
}
inline std::string stage_cpu_s(std::string_view stage) {
    return std::string(stage) + "_cpu_s";
}
inline std::string stage_max_rss_kib(std::string_view stage) {
    return std::string(stage) + "_max_rss_kib";
}
inline constexpr const char* kEpochWallS = "epoch_wall_s"; // train: mean wall time of an epoch
// The equivalence check of a build (harness/equiv).
inline constexpr const char* kEquivVectors = "equiv_vectors";
inline constexpr const char* kEquivMismatches = "equiv_mismatches";
inline constexpr const char* kEquivRateBound = "equiv_rate_bound";
inline constexpr const char* kEquivCycles = "equiv_cycles"; // random stimulus: cycles each
inline constexpr const char* kEquivToggleFf = "equiv_toggle_ff";
inline constexpr const char* kEquivToggleLut = "equiv_toggle_lut";
inline constexpr const char* kEquivWallS = "equiv_wall_s";
inline constexpr const char* kFinalTestAccuracy = "final_test_accuracy"; // train
inline constexpr const char* kFinalTestLoss = "final_test_loss";         // train
inline constexpr const char* kTestAccuracy = "test_accuracy";            // train, per epoch
inline constexpr const char* kTestLoss = "test_loss";                    // train, per epoch
// A model_on_bitstream run's metrics.
inline constexpr const char* kModels = "models";
inline constexpr const char* kBitstreams = "bitstreams";
inline constexpr const char* kSamples = "samples";
inline constexpr const char* kPredictionMismatches = "prediction_mismatches";
inline constexpr const char* kLogitMismatches = "logit_mismatches";
inline constexpr const char* kIdenticalAcrossBitstreams = "identical_across_bitstreams";
inline constexpr const char* kModelDisagreement = "model_disagreement";
} // namespace metric

} // namespace detlab::db
