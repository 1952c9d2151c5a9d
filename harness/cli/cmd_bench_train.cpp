// `detlab bench train`: seconds per epoch and MAC/s of the same training on every backend and
// both data sets, and the integer GEMM's raw MAC/s beside the CPU's peak int8 rate, all as
// ratios to the tiled model (the golden backend before oneDNN) measured in the same run
// (train::bench_training); this file parses and prints.
#include "harness/cli/cli.h"
#include "harness/train/train.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace detlab::cli {
namespace {

// The command's options: the benchmark's, lists as the comma-separated text they are typed as.
struct BenchOptions {
    std::string backends = "float,float-atomic,golden,tiled,rtl";
    std::string datasets = "digits,fashion-mnist";
    train::TrainBenchOptions bench;
    bool json = false;
};

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');)
        if (!item.empty())
            items.push_back(item);
    return items;
}

void print_json(const train::TrainBench& bench) {
    const auto& peak = bench.peak;
    nlohmann::json out{{"baseline", train::kBenchBaseline},
                       {"golden_library", accel::golden_library()}};
    out["peak_int8"] = {{"macs_per_s", peak.macs_per_second}, {"instruction", peak.instruction}};
    for (const auto& row : bench.training) {
        nlohmann::json entry{{"dataset", row.dataset}, {"backend", row.backend}};
        if (!row.measured) {
            entry["not_measured"] = row.why_not;
        } else {
            double base = bench.epoch_baseline(row.dataset);
            entry.update({{"epoch_s", row.epoch_s},
                          {"macs_per_s", row.macs_per_s},
                          {"accel_cycles_per_epoch", row.cycles_per_epoch},
                          {db::metric::kFinalTestAccuracy, row.accuracy}});
            if (base > 0)
                entry["speedup_vs_tiled"] = base / row.epoch_s;
        }
        out["training"].push_back(entry);
    }
    for (const auto& row : bench.gemm) {
        double base = bench.gemm_baseline(row.shape);
        out["gemm"].push_back({{"backend", row.backend},
                               {"shape", row.shape},
                               {"macs_per_s", row.macs_per_s},
                               {"ratio_to_tiled", base > 0 ? row.macs_per_s / base : 0.0}});
    }
    std::cout << out.dump(2) << "\n";
}

void print_table(const train::TrainBenchOptions& o, const train::TrainBench& bench) {
    const auto& peak = bench.peak;
    std::printf("training benchmark: hidden %d, array %dx%d, %d threads (float-atomic); one "
                "measurement per cell (n=1, no interval)\n",
                o.hidden, o.array, o.array, o.threads);
    std::printf("  digits: %d epochs, all samples; fashion-mnist: %d epoch(s), %d train + %d test "
                "samples\n",
                o.epochs, o.fashion_epochs, o.fashion_train_size, o.fashion_test_size);
    std::printf("%-14s %-13s %10s %12s %10s %16s %9s\n", "dataset", "backend", "s/epoch", "MAC/s",
                "vs tiled", "cycles/epoch", "test acc");
    for (const auto& row : bench.training) {
        if (!row.measured) {
            std::printf("%-14s %-13s %s\n", row.dataset.c_str(), row.backend.c_str(),
                        row.why_not.c_str());
            continue;
        }
        double base = bench.epoch_baseline(row.dataset);
        std::printf("%-14s %-13s %10.4f %12.4g %9.2fx %16.0f %8.2f%%\n", row.dataset.c_str(),
                    row.backend.c_str(), row.epoch_s, row.macs_per_s,
                    base > 0 ? base / row.epoch_s : 0.0, row.cycles_per_epoch, 100 * row.accuracy);
    }
    std::printf("\nint8 GEMM on one core (CPU time, >= %.2f s each):\n", o.gemm_seconds);
    std::printf("%-10s %-12s %12s %10s %10s\n", "backend", "shape", "MAC/s", "vs tiled", "of peak");
    for (const auto& row : bench.gemm) {
        double base = bench.gemm_baseline(row.shape);
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

void run_bench(BenchOptions options) {
    options.bench.backends = split_list(options.backends);
    options.bench.datasets = split_list(options.datasets);
    auto bench = train::bench_training(options.bench);
    if (options.json)
        print_json(bench);
    else
        print_table(options.bench, bench);
}

const Registration registration(90, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* command = bench_group(app).add_subcommand(
        "train", "s/epoch and MAC/s on each backend and data set, relative to the tiled model");
    command->add_option("--backends", options->backends, "comma-separated backends")
        ->capture_default_str();
    command->add_option("--datasets", options->datasets, "comma-separated data sets")
        ->capture_default_str();
    command->add_option("--epochs", options->bench.epochs, "digits: epochs per backend")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command->add_option("--fashion-epochs", options->bench.fashion_epochs, "Fashion-MNIST: epochs")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    command->add_option("--hidden", options->bench.hidden, "hidden layer width")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    command->add_option("--array", options->bench.array, "systolic array size for rtl and golden")
        ->check(CLI::IsMember({2, 4}))
        ->capture_default_str();
    command->add_option("--threads", options->bench.threads, "float-atomic threads")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    command
        ->add_option("--train-size", options->bench.train_size, "digits: training samples (0: all)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--fashion-train-size", options->bench.fashion_train_size,
                     "Fashion-MNIST: training samples (0: all 60000)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--fashion-test-size", options->bench.fashion_test_size,
                     "Fashion-MNIST: test samples (0: all 10000)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command
        ->add_option("--gemm-seconds", options->bench.gemm_seconds,
                     "CPU seconds per raw GEMM and peak measurement")
        ->check(CLI::Range(0.001, 60.0))
        ->capture_default_str();
    command->add_flag("--json", options->json, "print the results as JSON");
    command->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
