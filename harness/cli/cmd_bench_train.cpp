// `detlab bench train`: time per epoch of the same training on every backend, as a ratio to the
// float backend measured in the same run.
#include "harness/cli/cli.h"
#include "harness/train/train.h"

#include <cstdio>
#include <iostream>
#include <sstream>

namespace detlab::cli {
namespace {

struct BenchOptions {
    std::string backends = "float,float-atomic,golden,rtl";
    int epochs = 3, hidden = 32, array = 4, threads = 2, train_size = 0;
    bool json = false;
};

struct BenchRow {
    std::string backend;
    double epoch_s = 0, cycles_per_epoch = 0, utilisation = 0, accuracy = 0;
};

double metric(const db::RunResult& run, const std::string& key) {
    for (const auto& m : run.metrics)
        if (m.key == key && m.step == 0)
            return m.value;
    throw std::runtime_error("benchmark run has no metric " + key);
}

BenchRow measure(const BenchOptions& options, const std::string& backend) {
    nlohmann::json config{{"backend", backend},         {"epochs", options.epochs},
                          {"hidden", options.hidden},   {"array", options.array},
                          {"threads", options.threads}, {"train_size", options.train_size}};
    auto run = train::run_training(config, 0, db::RunContext{});
    if (run.status != db::kStatusDone)
        throw std::runtime_error(backend + " run failed: " + run.message);
    return {backend, metric(run, "epoch_wall_s"), metric(run, "accel_cycles") / options.epochs,
            metric(run, "accel_utilisation"), metric(run, "final_test_accuracy")};
}

void run_bench(const BenchOptions& options) {
    std::vector<std::string> backends{"float"}; // the baseline always runs first
    std::stringstream list(options.backends);
    for (std::string name; std::getline(list, name, ',');)
        if (name != "float")
            backends.push_back(name);
    std::vector<BenchRow> rows;
    for (const auto& backend : backends)
        rows.push_back(measure(options, backend));
    double baseline = rows.front().epoch_s;
    if (options.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& row : rows)
            out.push_back({{"backend", row.backend},
                           {"epoch_s", row.epoch_s},
                           {"ratio_to_float", row.epoch_s / baseline},
                           {"accel_cycles_per_epoch", row.cycles_per_epoch},
                           {"accel_utilisation", row.utilisation},
                           {"final_test_accuracy", row.accuracy}});
        std::cout << out.dump(2) << "\n";
        return;
    }
    std::printf("training benchmark: digits, hidden %d, %d epochs, array %dx%d, %d threads "
                "(float-atomic)\n",
                options.hidden, options.epochs, options.array, options.array, options.threads);
    std::printf("%-13s %10s %10s %16s %12s %10s\n", "backend", "s/epoch", "vs float",
                "cycles/epoch", "utilisation", "test acc");
    for (const auto& row : rows)
        std::printf("%-13s %10.4f %9.1fx %16.0f %11.1f%% %9.2f%%\n", row.backend.c_str(),
                    row.epoch_s, row.epoch_s / baseline, row.cycles_per_epoch,
                    100 * row.utilisation, 100 * row.accuracy);
}

const Registration registration(90, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* command = bench_group(app).add_subcommand(
        "train", "time per training epoch on each backend, relative to float in the same run");
    command->add_option("--backends", options->backends, "comma-separated backends")
        ->capture_default_str();
    command->add_option("--epochs", options->epochs, "epochs per backend")
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
    command->add_option("--train-size", options->train_size, "training samples (0: all)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    command->add_flag("--json", options->json, "print the results as JSON");
    command->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
