// `detlab bench train`: the same training on every backend and data set, and the integer GEMM's
// raw rate beside the CPU's peak int8 rate. The baseline (the tiled model) runs first, in the
// same process, so every figure can be read as a ratio to it.
#include "harness/train/train.h"

#include <algorithm>
#include <stdexcept>
#include <tuple>

namespace detlab::train {
namespace {

double final_metric(const db::RunResult& run, const std::string& key) {
    if (auto value = run.metric(key))
        return *value;
    throw std::runtime_error("benchmark run has no metric " + key);
}

TrainBenchRow measure(const TrainBenchOptions& o, const std::string& dataset,
                      const std::string& backend, bool cnn = false) {
    bool fashion = dataset == "fashion-mnist";
    int epochs = fashion ? o.fashion_epochs : o.epochs;
    nlohmann::json config{{"dataset", dataset},
                          {"model", cnn ? "cnn" : "mlp"},
                          {"channels", o.channels},
                          {"batch_size", 32},
                          {"backend", backend},
                          {"epochs", epochs},
                          {"hidden", o.hidden},
                          {"array", o.array},
                          {"threads", o.threads},
                          {"train_size", fashion ? o.fashion_train_size : o.train_size},
                          {"test_size", fashion ? o.fashion_test_size : 0}};
    TrainBenchRow row;
    row.dataset = dataset;
    row.backend = backend;
    auto run = run_training(config, 0, observation::Context{});
    if (run.status != db::kStatusDone) {
        if (fashion && run.message.find("dataset-fashion-mnist") != std::string::npos) {
            row.why_not = "not measured: Fashion-MNIST is not installed";
            return row;
        }
        throw std::runtime_error(backend + " run failed: " + run.message);
    }
    row.measured = true;
    row.epoch_s = final_metric(run, db::metric::kEpochWallS);
    // Every product of training and test evaluation over the time of those epochs.
    row.macs_per_s = final_metric(run, "accel_macs") / (row.epoch_s * epochs);
    row.cycles_per_epoch = final_metric(run, "accel_cycles") / epochs;
    row.accuracy = final_metric(run, db::metric::kFinalTestAccuracy);
    return row;
}

// The integer backends alone, on a training-sized product and a large square one.
std::vector<GemmBenchRow> measure_gemms(const TrainBenchOptions& o,
                                        const std::vector<std::string>& names) {
    std::vector<GemmBenchRow> rows;
    for (auto [m, k, n] : {std::tuple{32, 784, 32}, {256, 256, 256}})
        for (const auto& name : names) {
            if (name != "golden" && name != kBenchBaseline && name != "rtl")
                continue;
            auto backend = accel::make_backend(name, {o.array, 8, 24});
            auto result = accel::benchmark(*backend, m, k, n, o.gemm_seconds);
            rows.push_back({name,
                            std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n),
                            result.macs_per_second()});
        }
    return rows;
}

} // namespace

double TrainBench::epoch_baseline(const std::string& dataset) const {
    for (const auto& row : training)
        if (row.dataset == dataset && row.backend == kBenchBaseline && row.measured)
            return row.epoch_s;
    return 0;
}

double TrainBench::gemm_baseline(const std::string& shape) const {
    for (const auto& row : gemm)
        if (row.shape == shape && row.backend == kBenchBaseline)
            return row.macs_per_s;
    return 0;
}

TrainBench bench_training(const TrainBenchOptions& options) {
    for (const auto& dataset : options.datasets)
        if (dataset != "digits" && dataset != "fashion-mnist")
            throw InputError("bench train: --datasets: unknown data set \"" + dataset +
                             "\" (valid: digits, fashion-mnist)");
    auto backends = options.backends;
    std::erase(backends, kBenchBaseline);
    backends.insert(backends.begin(), kBenchBaseline); // the baseline always runs first
    TrainBench bench;
    for (const auto& dataset : options.datasets)
        for (const auto& backend : backends)
            bench.training.push_back(measure(options, dataset, backend));
    bench.gemm = measure_gemms(options, backends);
    bench.peak = accel::peak_int8_rate(options.gemm_seconds);
    return bench;
}

std::vector<TrainBenchRow> bench_cnn_training(const TrainBenchOptions& options) {
    std::vector<TrainBenchRow> rows;
    for (const auto& backend : options.cnn_backends)
        rows.push_back(measure(options, "fashion-mnist", backend, true));
    return rows;
}

} // namespace detlab::train
