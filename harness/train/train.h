// Training a small MLP on the 8x8 digits with every matrix product computed by a chosen GEMM
// backend (the Verilated accelerator, its golden model, or fp32), under one controlled source
// of variation.
#pragma once

#include "db/store.h"
#include "harness/accel/accel.h"
#include "harness/config_keys/config_keys.h"
#include "harness/observation/observation.h"
#include "harness/tensor_file/tensor_file.h"
#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace detlab::train {

// Every configuration key of a training run (backend, hidden size, epochs, seeds, ...).
const std::vector<KeySpec>& config_keys();

// Trains one model. The result is not yet stored: the caller records it with Store::record_run.
// Bad configuration throws InputError; a failure while training (missing data set, backend
// error, cancel) is reported in the result's status and message.
db::RunResult run_training(const nlohmann::json& config, int repeat,
                           const observation::Context& context);

// The checks the key ranges alone cannot make (a bit_flip or weight_step index beyond the model,
// an array size without a Verilated model); InputError "train config: key: problem". The CLI
// and experiment files share them.
void validate_config(const nlohmann::json& config);

// What a training run depends on besides its keys: the bytes of its data set's files (by
// SHA-256). InputError when the data set is not installed.
db::InputDigests input_digests(const nlohmann::json& config);
// The run's configuration identity (db::configuration_id over the keys and input_digests).
std::string configuration_id(const nlohmann::json& config);

// One line of the learning curve, reported after every epoch.
struct EpochReport {
    int epoch = 0, epochs = 0; // 1-based
    double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
    double wall_s = 0; // this epoch (training and test evaluation)
};
using EpochCallback = std::function<void(const EpochReport&)>;

// As above, calling `on_epoch` after every epoch (for progress output).
db::RunResult run_training(const nlohmann::json& config, int repeat,
                           const observation::Context& context, const EpochCallback& on_epoch);

// ---- Data sets ----

// Samples as rows of `features` floats scaled to [0, 1], with labels 0..classes-1.
struct Dataset {
    int features = 0;
    int classes = 10;
    std::vector<float> inputs;
    std::vector<int> labels;
    std::size_t size() const { return labels.size(); }
};

// The rows `rows` of `data` (in that order, repeats allowed) as a data set of their own.
Dataset select_rows(const Dataset& data, const std::vector<std::size_t>& rows);

struct Split {
    Dataset train, test;
    std::string name;   // the "dataset" key's value
    std::string sha256; // digits: the file's SHA-256; Fashion-MNIST: of its four files' hashes
};

// The shipped digits file (data/digits.csv.gz under source_root()) and its SHA-256.
inline constexpr const char* kDigitsSha256 =
    "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a";
std::filesystem::path digits_path();

// Reads a (possibly gzip-compressed) CSV of 64 pixels 0..16 and a label 0..9 per line. A
// non-empty `expected_sha256` is checked against the raw file first. Malformed lines throw
// std::runtime_error "<file>:<line>: <problem>".
Dataset load_digits_csv(const std::filesystem::path& path, const std::string& expected_sha256 = {});

// Reads an IDX image file (u8, rank 3) and its IDX label file (u8, rank 1), plain or gzip.
// Malformed files throw std::runtime_error "<file>: byte <offset>: <problem>".
Dataset load_idx(const std::filesystem::path& images, const std::filesystem::path& labels);
// The same from the files' bytes (already decompressed); the names go into the messages.
Dataset decode_idx(const Bytes& images, const Bytes& labels, const std::string& images_name,
                   const std::string& labels_name);

// Where Debian's dataset-fashion-mnist installs its files ($DETLAB_FASHION_MNIST overrides).
std::filesystem::path fashion_mnist_dir();

// Per class, a fixed fraction of the samples (shuffled with `split_seed`) goes to the test set,
// so every run, whatever its seeds, is tested on the same samples.
Split stratified_split(const Dataset& all, double test_fraction, std::uint64_t split_seed);

// The files a configuration's data set is read from, each with the name its digest is recorded
// under ("dataset/digits.csv.gz", "dataset/fashion-mnist/<file>"); std::runtime_error when
// Fashion-MNIST's files are missing.
std::vector<std::pair<std::string, std::filesystem::path>>
dataset_files(const nlohmann::json& config);

// The train/test split a configuration names ("dataset", "train_size", "test_size").
Split load_split(const nlohmann::json& config);

// As load_split, but loaded once per process and shared by every run that names the same split
// (the workers of a sweep); the most recently used split stays loaded for the next run.
std::shared_ptr<const Split> shared_split(const nlohmann::json& config);

// The four IDX files (train images, train labels, test images, test labels), plain or .gz;
// throws std::runtime_error naming the package when one is missing.
std::vector<std::filesystem::path> fashion_mnist_files();

// ---- Matrix products ----

enum class Rounding { nearest, stochastic };

struct MatmulOptions {
    std::string backend = "golden"; // rtl | golden | float | float-atomic
    int array_size = 4;             // rtl, golden: the systolic array's N
    int threads = 2;                // float-atomic: workers sharing the K dimension
    Rounding rounding = Rounding::nearest;
    std::uint64_t rounding_seed = 1; // stochastic rounding stream
};

// fp32 products C[m x n] = A[m x k] * B[k x n] (row-major) as the model sees them. The
// quantised backends (rtl, golden) scale each operand by its max-abs to int8, multiply on the
// integer array and dequantise; the float backends stay in fp32.
class MatmulBackend {
public:
    virtual ~MatmulBackend() = default;
    virtual std::string name() const = 0;
    virtual void multiply(int m, int k, int n, const float* a, const float* b, float* c) = 0;
    // C [m x n] = transpose(A) * B with A stored [k x m] (a weight gradient from the layer's
    // input): the same result as multiply() on A transposed. This default transposes A into a
    // buffer; a backend may override it to avoid the copy.
    virtual void multiply_transposed_a(int m, int k, int n, const float* a, const float* b,
                                       float* c);
    // Work done so far: macs for every backend, cycles and busy PE-cycles for the array.
    virtual accel::GemmStats stats() const = 0;

private:
    std::vector<float> transposed_a_; // multiply_transposed_a's copy of A, reused
};

// Throws std::invalid_argument for an unknown backend or an array size without a model.
std::unique_ptr<MatmulBackend> make_matmul(const MatmulOptions& options);
std::vector<std::string> matmul_backend_names();

// The quantised backend of "rtl" and "golden" over any integer GEMM (e.g. a bitstream's
// simulated netlist, harness/equiv).
std::unique_ptr<MatmulBackend> make_quantised_matmul(std::unique_ptr<accel::GemmBackend> gemm,
                                                     Rounding rounding = Rounding::nearest,
                                                     std::uint64_t rounding_seed = 1);

// ---- Inference with a stored model (infer.cpp) ----
// Logits [count x classes] of the MLP stored as tensors w1, b1, w2, b2, ... (weights.bin) for
// `count` rows of `inputs`, as one batch through the same forward pass as training (product,
// bias, ReLU between layers). Throws std::runtime_error when the tensors do not form an MLP
// (a CNN's weights included).
std::vector<float> infer_logits(const std::vector<Tensor>& weights, const float* inputs, int count,
                                MatmulBackend& matmul);

// ---- `detlab bench train` (bench.cpp) ----
// Each backend trains the same model on each data set (one measurement per cell), then the
// integer backends' raw GEMM rate and the CPU's peak int8 rate are measured; all are read as
// ratios to kBenchBaseline, which runs first in the same process.
inline constexpr const char* kBenchBaseline = "tiled";

struct TrainBenchOptions {
    std::vector<std::string> backends{"float", "float-atomic", "golden", "tiled", "rtl"};
    std::vector<std::string> datasets{"digits", "fashion-mnist"};
    int epochs = 3, hidden = 32, array = 4, threads = 2, train_size = 0;
    int fashion_epochs = 1, fashion_train_size = 12000, fashion_test_size = 2000;
    double gemm_seconds = 0.3; // CPU seconds per raw GEMM and for the peak rate
    // The CNN row (bench_cnn_training): model = cnn with `channels` and `hidden`, batch 32, on
    // Fashion-MNIST at the fashion_* sizes and epochs, on each of these backends.
    std::vector<std::string> cnn_backends{"float", "golden"};
    int channels = 8;
};

struct TrainBenchRow {
    std::string dataset, backend;
    bool measured = false;
    std::string why_not; // when not measured
    double epoch_s = 0, macs_per_s = 0, cycles_per_epoch = 0, accuracy = 0;
};

struct GemmBenchRow {
    std::string backend, shape; // shape "MxKxN"
    double macs_per_s = 0;
};

struct TrainBench {
    std::vector<TrainBenchRow> training;
    std::vector<GemmBenchRow> gemm;
    accel::PeakRate peak;
    // The baseline's seconds per epoch on a data set and MAC/s on a shape; 0 when not measured.
    double epoch_baseline(const std::string& dataset) const;
    double gemm_baseline(const std::string& shape) const;
};

// Throws InputError for an unknown data set (before anything runs) and std::runtime_error when
// a backend's training fails (a missing Fashion-MNIST is a row "not measured" instead).
TrainBench bench_training(const TrainBenchOptions& options);

// The built-in CNN's rows (dataset "fashion-mnist", one per cnn_backends entry), which the CLI
// sets beside the same CNN in PyTorch (bench/pytorch_cnn.py) run in the same invocation. A
// missing Fashion-MNIST gives rows "not measured"; std::runtime_error when a run fails.
std::vector<TrainBenchRow> bench_cnn_training(const TrainBenchOptions& options);

} // namespace detlab::train
