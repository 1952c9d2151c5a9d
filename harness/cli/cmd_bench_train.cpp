// `detlab bench train`: seconds per epoch and MAC/s of the same training on every backend and
// both data sets, and the integer GEMM's raw MAC/s beside the CPU's peak int8 rate, all as
// ratios to the tiled model (the golden backend before oneDNN) measured in the same run.
#include "harness/cli/cli.h"
#include "harness/train/train.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace detlab::cli {
namespace {

constexpr const char* kBaseline = "tiled";

struct BenchOptions {
    std::string backends = "float,float-atomic,golden,tiled,rtl";
    std::string datasets = "digits,fashion-mnist";
    int epochs = 3, hidden = 32, array = 4, threads = 2, train_size = 0;
    int fashion_epochs = 1, fashion_train_size = 12000, fashion_test_size = 2000;
    double gemm_seconds = 0.3;
    bool json = false;
};

struct TrainRow {
    std::string dataset, backend;
    bool measured = false;
    std::string why_not; // when not measured
    double epoch_s = 0, macs_per_s = 0, cycles_per_epoch = 0, accuracy = 0;
};

struct GemmRow {
    std::string backend, shape;
    double macs_per_s = 0;
};

double metric(const db::RunResult& run, const std::string& key) {
    for (const auto& m : run.metrics)
        if (m.key == key && m.step == 0)
            return m.value;
    throw std::runtime_error("benchmark run has no metric " + key);
}

TrainRow measure(const BenchOptions& o, const std::string& dataset, const std::string& backend) {
    bool fashion = dataset == "fashion-mnist";
    int epochs = fashion ? o.fashion_epochs : o.epochs;
    nlohmann::json config{{"dataset", dataset},
                          {"backend", backend},
                          {"epochs", epochs},
                          {"hidden", o.hidden},
                          {"array", o.array},
                          {"threads", o.threads},
                          {"train_size", fashion ? o.fashion_train_size : o.train_size},
                          {"test_size", fashion ? o.fashion_test_size : 0}};
    TrainRow row;
    row.dataset = dataset;
    row.backend = backend;
    auto run = train::run_training(config, 0, observation::Context{});
    if (run.status != db::kStatusDone) {
        if (fashion && run.message.find("dataset-fashion-mnist") != std::string::npos) {
            row.why_not = "not measured: Fashion-MNIST is not installed";
            return row;
        }
        throw std::runtime_error(backend + " run failed: " + run.message);
    }
    row.measured = true;
    row.epoch_s = metric(run, "epoch_wall_s");
    // Every product of training and test evaluation over the time of those epochs.
    row.macs_per_s = metric(run, "accel_macs") / (row.epoch_s * epochs);
    row.cycles_per_epoch = metric(run, "accel_cycles") / epochs;
    row.accuracy = metric(run, db::metric::kFinalTestAccuracy);
    return row;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');)
        if (!item.empty())
            items.push_back(item);
    return items;
}

// The integer backends alone, on a training-sized product and a large square one.
std::vector<GemmRow> measure_gemms(const BenchOptions& o, const std::vector<std::string>& names) {
    std::vector<GemmRow> rows;
    for (auto [m, k, n] : {std::tuple{32, 784, 32}, {256, 256, 256}})
        for (const auto& name : names) {
            if (name != "golden" && name != kBaseline && name != "rtl")
                continue;
            auto backend = accel::make_backend(name, {o.array, 8, 24});
            auto result = accel::benchmark(*backend, m, k, n, o.gemm_seconds);
            rows.push_back({name,
                            std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n),
                            result.macs_per_second()});
        }
    return rows;
}

double baseline_of(const std::vector<TrainRow>& rows, const std::string& dataset) {
    for (const auto& row : rows)
        if (row.dataset == dataset && row.backend == kBaseline && row.measured)
            return row.epoch_s;
    return 0;
}

double gemm_baseline(const std::vector<GemmRow>& rows, const std::string& shape) {
    for (const auto& row : rows)
        if (row.shape == shape && row.backend == kBaseline)
            return row.macs_per_s;
    return 0;
}

void print_json(const std::vector<TrainRow>& rows, const std::vector<GemmRow>& gemms,
                const accel::PeakRate& peak) {
    nlohmann::json out{{"baseline", kBaseline}, {"golden_library", accel::golden_library()}};
    out["peak_int8"] = {{"macs_per_s", peak.macs_per_second}, {"instruction", peak.instruction}};
    for (const auto& row : rows) {
        nlohmann::json entry{{"dataset", row.dataset}, {"backend", row.backend}};
        if (!row.measured) {
            entry["not_measured"] = row.why_not;
        } else {
            double base = baseline_of(rows, row.dataset);
            entry.update({{"epoch_s", row.epoch_s},
                          {"macs_per_s", row.macs_per_s},
                          {"accel_cycles_per_epoch", row.cycles_per_epoch},
                          {db::metric::kFinalTestAccuracy, row.accuracy}});
            if (base > 0)
                entry["speedup_vs_tiled"] = base / row.epoch_s;
        }
        out["training"].push_back(entry);
    }
    for (const auto& row : gemms) {
        double base = gemm_baseline(gemms, row.shape);
        out["gemm"].push_back({{"backend", row.backend},
                               {"shape", row.shape},
                               {"macs_per_s", row.macs_per_s},
                               {"ratio_to_tiled", base > 0 ? row.macs_per_s / base : 0.0}});
    }
    std::cout << out.dump(2) << "\n";
}

void print_table(const BenchOptions& o, const std::vector<TrainRow>& rows,
                 const std::vector<GemmRow>& gemms, const accel::PeakRate& peak) {
    std::printf("training benchmark: hidden %d, array %dx%d, %d threads (float-atomic); one "
                "measurement per cell (n=1, no interval)\n",
                o.hidden, o.array, o.array, o.threads);
    std::printf("  digits: %d epochs, all samples; fashion-mnist: %d epoch(s), %d train + %d test "
                "samples\n",
                o.epochs, o.fashion_epochs, o.fashion_train_size, o.fashion_test_size);
    std::printf("%-14s %-13s %10s %12s %10s %16s %9s\n", "dataset", "backend", "s/epoch", "MAC/s",
                "vs tiled", "cycles/epoch", "test acc");
    for (const auto& row : rows) {
        if (!row.measured) {
            std::printf("%-14s %-13s %s\n", row.dataset.c_str(), row.backend.c_str(),
                        row.why_not.c_str());
            continue;
        }
        double base = baseline_of(rows, row.dataset);
        std::printf("%-14s %-13s %10.4f %12.4g %9.2fx %16.0f %8.2f%%\n", row.dataset.c_str(),
                    row.backend.c_str(), row.epoch_s, row.macs_per_s,
                    base > 0 ? base / row.epoch_s : 0.0, row.cycles_per_epoch, 100 * row.accuracy);
    }
    std::printf("\nint8 GEMM on one core (CPU time, >= %.2f s each):\n", o.gemm_seconds);
    std::printf("%-10s %-12s %12s %10s %10s\n", "backend", "shape", "MAC/s", "vs tiled", "of peak");
    for (const auto& row : gemms) {
        double base = gemm_baseline(gemms, row.shape);
        std::printf("%-10s %-12s %12.4g %9.1fx %9.1f%%\n", row.backend.c_str(), row.shape.c_str(),
                    row.macs_per_s, base > 0 ? row.macs_per_s / base : 0.0,
                    peak.macs_per_second > 0 ? 100 * row.macs_per_s / peak.macs_per_second : 0.0);
    }
    if (peak.macs_per_second > 0)
        std::printf("peak int8 rate (limit): %.4g MAC/s on one core (%s)\n", peak.macs_per_second,
                    peak.instruction.c_str());
    else
        std::printf("peak int8 rate (limit): %s\n", peak.instruction.c_str());
    std::printf("golden: %s\n", accel::golden_library().c_str());
}

void run_bench(const BenchOptions& options) {
    auto backends = split_list(options.backends);
    std::erase(backends, kBaseline);
    backends.insert(backends.begin(), kBaseline); // the baseline always runs first
    std::vector<TrainRow> rows;
    for (const auto& dataset : split_list(options.datasets)) {
        if (dataset != "digits" && dataset != "fashion-mnist")
            throw InputError("bench train: --datasets: unknown data set \"" + dataset +
                             "\" (valid: digits, fashion-mnist)");
        for (const auto& backend : backends)
            rows.push_back(measure(options, dataset, backend));
    }
    auto gemms = measure_gemms(options, backends);
    auto peak = accel::peak_int8_rate(options.gemm_seconds);
    if (options.json)
        print_json(rows, gemms, peak);
    else
        print_table(options, rows, gemms, peak);
}

const Registration registration(90, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* command = bench_group(app).add_subcommand(
        "train", "s/epoch and MAC/s on each backend and data set, relative to the tiled model");
    command->add_option("--backends", options->backends, "comma-separated backends")
        ->capture_default_str();
    command->add_option("--datasets", options->datasets, "comma-separated data sets")
        ->capture_default_str();
    command->add_option("--epochs", options->epochs, "digits: epochs per backend")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command->add_option("--fashion-epochs", options->fashion_epochs, "Fashion-MNIST: epochs")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command->add_option("--hidden", options->hidden, "hidden layer width")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    command->add_option("--array", options->array, "systolic array size for rtl and golden")
        ->check(CLI::IsMember({2, 4}))
        ->capture_default_str();
    command->add_option("--threads", options->threads, "float-atomic threads")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    command->add_option("--train-size", options->train_size, "digits: training samples (0: all)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--fashion-train-size", options->fashion_train_size,
                     "Fashion-MNIST: training samples (0: all 60000)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--fashion-test-size", options->fashion_test_size,
                     "Fashion-MNIST: test samples (0: all 10000)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--gemm-seconds", options->gemm_seconds,
                     "CPU seconds per raw GEMM and peak measurement")
        ->check(CLI::Range(0.001, 60.0))
        ->capture_default_str();
    command->add_flag("--json", options->json, "print the results as JSON");
    command->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
