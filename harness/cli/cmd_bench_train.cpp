// `detlab bench train`: seconds per epoch and MAC/s of the same training on every backend and
// both data sets, and the integer GEMM's raw MAC/s beside the CPU's peak int8 rate, all as
// ratios to the tiled model (the golden backend before oneDNN) measured in the same run
// (train::bench_training); this file parses and prints. Then the CNN row: the built-in CNN
// against the same CNN in PyTorch (bench/pytorch_cnn.py, run here, in the same invocation), as
// per-epoch time ratios detlab/PyTorch.
#include "harness/cli/cli.h"
#include "harness/process/process.h"
#include "harness/train/train.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace detlab::cli {
namespace {

// The command's options: the benchmark's, lists as the comma-separated text they are typed as.
struct BenchOptions {
    std::string backends = "float,float-atomic,golden,tiled,rtl";
    std::string datasets = "digits,fashion-mnist";
    std::string cnn_backends = "float,golden";
    std::string pytorch = "/usr/bin/python3"; // Debian's python3-torch is for this interpreter
    train::TrainBenchOptions bench;
    bool json = false;
};

// PyTorch's epoch of the CNN, or why it was not measured (then `measured` is false).
struct PytorchRow {
    bool measured = false;
    std::string framework, why_not;
    double epoch_s = 0, accuracy = 0;
};

// The last non-empty line of a program's stderr: Python's error, after its traceback.
std::string last_line(const std::string& text) {
    auto end = text.find_last_not_of(" \n");
    if (end == std::string::npos)
        return "no error output";
    auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start + 1));
}

// Runs bench/pytorch_cnn.py on the built-in CNN's sizes. A missing interpreter, torch or data
// set is a row "not measured" naming why: the built-in rows still print, without a ratio.
PytorchRow measure_pytorch(const BenchOptions& o) {
    const auto& b = o.bench;
    auto script = source_root() / "bench" / "pytorch_cnn.py";
    process::Spec spec;
    spec.argv = {o.pytorch,      script.string(),
                 "--data-dir",   train::fashion_mnist_dir().string(),
                 "--train-size", std::to_string(b.fashion_train_size),
                 "--test-size",  std::to_string(b.fashion_test_size),
                 "--epochs",     std::to_string(b.fashion_epochs),
                 "--channels",   std::to_string(b.channels),
                 "--hidden",     std::to_string(b.hidden),
                 "--threads",    "1"};
    // One thread, as the built-in float and golden backends: no BLAS or OpenMP pool beside it.
    spec.set_env = {{"OMP_NUM_THREADS", "1"}, {"MKL_NUM_THREADS", "1"}};
    spec.timeout = std::chrono::hours(2); // a hang net, not a measurement bound
    auto result = process::run(spec);
    PytorchRow row;
    if (!result.ok()) {
        // describe() names a spawn failure itself; otherwise the program's own last error line.
        row.why_not = "not measured: " + o.pytorch + " " + script.filename().string() + ": " +
                      result.describe();
        if (result.outcome != process::Result::Outcome::spawn_failed)
            row.why_not += ": " + last_line(result.err);
        return row;
    }
    try {
        auto out = nlohmann::json::parse(result.out);
        row.framework = out.at("framework").get<std::string>();
        row.epoch_s = out.at("epoch_s").get<double>();
        row.accuracy = out.at("test_accuracy").get<double>();
        row.measured = row.epoch_s > 0;
        if (!row.measured)
            row.why_not = "not measured: epoch_s " + std::to_string(row.epoch_s);
    } catch (const nlohmann::json::exception& e) {
        row.why_not = "not measured: unreadable output: " + std::string(e.what());
    }
    return row;
}

// The CNN's rows: PyTorch first (the base of the ratios), then the built-in backends.
struct CnnBench {
    PytorchRow pytorch;
    std::vector<train::TrainBenchRow> builtin;
};

CnnBench measure_cnn(const BenchOptions& o) {
    CnnBench cnn;
    if (o.bench.cnn_backends.empty())
        return cnn;
    cnn.pytorch = measure_pytorch(o);
    cnn.builtin = train::bench_cnn_training(o.bench);
    return cnn;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');)
        if (!item.empty())
            items.push_back(item);
    return items;
}

nlohmann::json cnn_json(const CnnBench& cnn) {
    nlohmann::json out;
    const auto& torch = cnn.pytorch;
    if (torch.measured)
        out["pytorch"] = {{"framework", torch.framework},
                          {"epoch_s", torch.epoch_s},
                          {db::metric::kFinalTestAccuracy, torch.accuracy}};
    else
        out["pytorch"] = {{"not_measured", torch.why_not}};
    out["rows"] = nlohmann::json::array();
    for (const auto& row : cnn.builtin) {
        nlohmann::json entry{{"backend", row.backend}};
        if (!row.measured) {
            entry["not_measured"] = row.why_not;
        } else {
            entry.update(
                {{"epoch_s", row.epoch_s}, {db::metric::kFinalTestAccuracy, row.accuracy}});
            if (torch.measured)
                entry["epoch_time_ratio_vs_pytorch"] = row.epoch_s / torch.epoch_s;
        }
        out["rows"].push_back(entry);
    }
    return out;
}

void print_cnn(const train::TrainBenchOptions& o, const CnnBench& cnn) {
    if (o.cnn_backends.empty())
        return;
    std::printf("\nCNN on fashion-mnist (conv %d, conv %d, dense %d, batch 32; %d epoch(s), %d "
                "train + %d test samples; one thread): per-epoch time against PyTorch run in this "
                "invocation (n=1 each, no interval)\n",
                o.channels, 2 * o.channels, o.hidden, o.fashion_epochs, o.fashion_train_size,
                o.fashion_test_size);
    std::printf("%-22s %10s %14s %9s\n", "implementation", "s/epoch", "vs PyTorch", "test acc");
    const auto& torch = cnn.pytorch;
    if (torch.measured)
        std::printf("%-22s %10.3f %13.2fx %8.2f%%\n", torch.framework.c_str(), torch.epoch_s, 1.0,
                    100 * torch.accuracy);
    else
        std::printf("%-22s %s\n", "PyTorch", torch.why_not.c_str());
    for (const auto& row : cnn.builtin) {
        auto name = "detlab " + row.backend;
        if (!row.measured) {
            std::printf("%-22s %s\n", name.c_str(), row.why_not.c_str());
            continue;
        }
        if (torch.measured)
            std::printf("%-22s %10.3f %13.2fx %8.2f%%\n", name.c_str(), row.epoch_s,
                        row.epoch_s / torch.epoch_s, 100 * row.accuracy);
        else
            std::printf("%-22s %10.3f %14s %8.2f%%\n", name.c_str(), row.epoch_s, "-",
                        100 * row.accuracy);
    }
    std::printf("(vs PyTorch: detlab's seconds per epoch / PyTorch's; above 1 is slower)\n");
}

void print_json(const train::TrainBench& bench, const CnnBench& cnn) {
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
    out["cnn"] = cnn_json(cnn);
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
    options.bench.cnn_backends = split_list(options.cnn_backends);
    auto bench = train::bench_training(options.bench);
    auto cnn = measure_cnn(options);
    if (options.json) {
        print_json(bench, cnn);
    } else {
        print_table(options.bench, bench);
        print_cnn(options.bench, cnn);
    }
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
    command
        ->add_option("--cnn-backends", options->cnn_backends,
                     "built-in backends of the CNN row against PyTorch (\"\": no CNN row)")
        ->capture_default_str();
    command->add_option("--channels", options->bench.channels, "CNN: first convolution's maps")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    command
        ->add_option("--pytorch", options->pytorch,
                     "the Python interpreter with torch for the CNN row's PyTorch side")
        ->capture_default_str();
    command->add_flag("--json", options->json, "print the results as JSON");
    command->callback([options] { run_bench(*options); });
});

} // namespace
} // namespace detlab::cli
