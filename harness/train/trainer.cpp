// One training run: configuration keys, seeds, the epoch loop, metrics and artifacts.
#include "harness/train/mlp.h"
#include "harness/train/train.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <unistd.h>

namespace detlab::train {
namespace {

// Every integer backend multiplies int8 operands (accel::ArrayConfig::width = 8 in training).
constexpr int kInt8Max = 127;

using Type = KeySpec::Type;
constexpr double kMaxSeed = 9007199254740991.0; // 2^53 - 1: exact in JSON readers everywhere
constexpr int kEvalBatch = 256;

std::vector<KeySpec> make_keys() {
    return {
        {"dataset",
         Type::string,
         "digits",
         "data set: the shipped 8x8 digits, or Fashion-MNIST from Debian's dataset-fashion-mnist",
         0,
         0,
         {"digits", "fashion-mnist"},
         false},
        {"train_size",
         Type::integer,
         0,
         "use only the first N training samples (0: all)",
         0,
         1e7,
         {},
         false},
        {"test_size",
         Type::integer,
         0,
         "use only the first N test samples (0: all)",
         0,
         1e7,
         {},
         false},
        {"model",
         Type::string,
         "mlp",
         "mlp (fully connected), or cnn (two 3x3 conv + pool layers as im2col GEMMs, then the "
         "fully connected layers)",
         0,
         0,
         {"mlp", "cnn"},
         false},
        {"channels",
         Type::integer,
         8,
         "cnn: feature maps of the first convolution (the second has twice as many)",
         1,
         256,
         {},
         false},
        {"hidden", Type::integer, 32, "hidden layer width", 1, 4096, {}, false},
        {"layers", Type::integer, 1, "hidden layers, each `hidden` wide", 1, 16, {}, false},
        {"epochs", Type::integer, 20, "passes over the training set", 1, 10000, {}, false},
        {"batch_size", Type::integer, 32, "minibatch size", 1, 65536, {}, false},
        {"learning_rate", Type::real, 0.05, "SGD learning rate", 0, 10, {}, false},
        {"momentum", Type::real, 0.9, "SGD momentum", 0, 0.999, {}, false},
        {"lr_schedule",
         Type::string,
         "constant",
         "learning rate over the epochs: constant, or cosine (from learning_rate down to "
         "learning_rate/100 at the last epoch)",
         0,
         0,
         {"constant", "cosine"},
         false},
        {"backend",
         Type::string,
         "golden",
         "matrix products: rtl (Verilated array), golden (its arithmetic on oneDNN's int8 GEMM), "
         "tiled (the array's tiling in C++, slow, same results), float (fp32, fixed order), "
         "float-atomic (fp32, K split over threads, completion-order sums)",
         0,
         0,
         {"rtl", "golden", "tiled", "float", "float-atomic"},
         true},
        {"threads",
         Type::integer,
         2,
         "float-atomic: threads sharing each product's K",
         1,
         64,
         {},
         true},
        {"array",
         Type::integer,
         4,
         "rtl, golden, tiled: systolic array size N (2 or 4)",
         2,
         4,
         {},
         true},
        {"root_seed",
         Type::integer,
         1,
         "root of the init, shuffle and rounding seeds",
         0,
         kMaxSeed,
         {},
         true},
        {"init_seed",
         Type::integer,
         0,
         "weight initialisation seed (0: derived from root_seed)",
         0,
         kMaxSeed,
         {},
         true},
        {"shuffle_seed",
         Type::integer,
         0,
         "data order seed (0: derived from root_seed)",
         0,
         kMaxSeed,
         {},
         true},
        {"rounding_seed",
         Type::integer,
         0,
         "stochastic rounding seed (0: derived from root_seed)",
         0,
         kMaxSeed,
         {},
         true},
        {"rounding",
         Type::string,
         "nearest",
         "rtl, golden: rounding of operands to int8 (nearest, or stochastic from rounding_seed)",
         0,
         0,
         {"nearest", "stochastic"},
         true},
        {"bit_flip",
         Type::integer,
         -1,
         "flip the lowest mantissa bit of this initial weight (index into w1, w2, ...; -1: off)",
         -1,
         1e9,
         {},
         true},
        {"weight_step",
         Type::integer,
         -1,
         "move this initial weight one int8 quantisation step toward zero, a change the integer "
         "backends' products see (index as bit_flip; -1: off)",
         -1,
         1e9,
         {},
         true},
        {"perturb_weights",
         Type::string,
         "index",
         "what the bit_flip and weight_step values name: the weight at that index (index), or "
         "the n-th random draw among the live weights of all layers, seeded by root_seed (live: "
         "how Summers and Dinneen perturb; a first-layer weight of an input that is zero in every "
         "training sample is dead)",
         0,
         0,
         {"index", "live"},
         false,
         true},
    };
}

// A derived seed is cut to 53 bits so that it is itself a valid value of its key: the seed
// recorded in a run's provenance can be passed back explicitly and gives the same run.
std::uint64_t seed_or_derived(const nlohmann::json& config, const char* key, const char* stream) {
    auto seed = config.at(key).get<std::uint64_t>();
    if (seed != 0)
        return seed;
    auto derived = derive_seed(config.at("root_seed").get<std::uint64_t>(), stream) &
                   ((std::uint64_t{1} << 53) - 1);
    return derived != 0 ? derived : 1;
}

// Checks what the key ranges alone cannot: the array sizes with a model, the bit_flip index.
void check_config(const nlohmann::json& config) {
    for (const char* key : {"bit_flip", "weight_step"})
        if (auto index = config.at(key).get<long long>(); index >= 0) {
            long long features = config.at("dataset") == "digits" ? 64 : 28 * 28;
            long long hidden = config.at("hidden").get<long long>();
            long long layers = config.at("layers").get<long long>();
            long long weights = features * hidden + (layers - 1) * hidden * hidden + hidden * 10;
            if (config.at("model") == "cnn")
                weights = static_cast<long long>(cnn_weight_count(
                    features == 64 ? 8 : 28, config.at("channels").get<int>(),
                    std::vector<int>(static_cast<std::size_t>(layers), static_cast<int>(hidden)),
                    10));
            if (index >= weights)
                throw InputError("train config: " + std::string(key) + ": index " +
                                 std::to_string(index) + " is beyond the model's " +
                                 std::to_string(weights) + " weights");
        }
    int array = config.at("array").get<int>();
    auto sizes = accel::rtl_array_sizes();
    if (config.at("backend") == "rtl" &&
        std::find(sizes.begin(), sizes.end(), array) == sizes.end()) {
        std::vector<std::string> list;
        for (int size : sizes)
            list.push_back(std::to_string(size));
        throw InputError("train config: array: no Verilated model for N=" + std::to_string(array) +
                         " (available: " + join(list) + ")");
    }
    if (array != 2 && array != 4)
        throw InputError("train config: array: " + std::to_string(array) + " is not one of: 2, 4");
}

struct EpochTotals {
    double loss_sum = 0;
    int correct = 0, samples = 0;
};

// Forward pass over a data set in fixed batches; returns the score and all logits.
EpochTotals evaluate(Model& model, const Dataset& data, MatmulBackend& matmul,
                     std::vector<float>& logits) {
    EpochTotals totals;
    logits.clear();
    for (std::size_t start = 0; start < data.size(); start += kEvalBatch) {
        int batch = static_cast<int>(std::min<std::size_t>(kEvalBatch, data.size() - start));
        const auto& out = model.forward(
            data.inputs.data() + start * static_cast<std::size_t>(data.features), batch, matmul);
        auto score =
            score_batch(out.data(), data.labels.data() + start, batch, data.classes, nullptr);
        totals.loss_sum += score.loss_sum;
        totals.correct += score.correct;
        totals.samples += batch;
        logits.insert(logits.end(), out.begin(), out.end());
    }
    return totals;
}

// Gathers the rows of `order[first, first+count)` into one contiguous batch.
void gather_batch(const Dataset& data, const std::vector<std::size_t>& order, std::size_t first,
                  int count, std::vector<float>& inputs, std::vector<int>& labels) {
    auto width = static_cast<std::size_t>(data.features);
    inputs.resize(static_cast<std::size_t>(count) * width);
    labels.resize(static_cast<std::size_t>(count));
    for (int b = 0; b < count; ++b) {
        std::size_t row = order[first + static_cast<std::size_t>(b)];
        std::copy_n(data.inputs.begin() + static_cast<long>(row * width), width,
                    inputs.begin() + static_cast<long>(static_cast<std::size_t>(b) * width));
        labels[static_cast<std::size_t>(b)] = data.labels[row];
    }
}

std::vector<int> layer_sizes(const nlohmann::json& config, const Dataset& train) {
    std::vector<int> sizes{train.features};
    sizes.insert(sizes.end(), config.at("layers").get<std::size_t>(),
                 config.at("hidden").get<int>());
    sizes.push_back(train.classes);
    return sizes;
}

std::unique_ptr<Model> make_model(const nlohmann::json& config, const Dataset& train) {
    auto seed = seed_or_derived(config, "init_seed", "init");
    if (config.at("model") == "cnn") {
        auto side = static_cast<int>(std::lround(std::sqrt(double(train.features))));
        if (side * side != train.features)
            throw std::runtime_error("cnn: the samples are not square images");
        auto sizes = layer_sizes(config, train);
        std::vector<int> hidden(sizes.begin() + 1, sizes.end() - 1);
        return make_cnn(side, config.at("channels").get<int>(), hidden, train.classes, seed);
    }
    return std::make_unique<Mlp>(layer_sizes(config, train), seed);
}

MatmulOptions matmul_options(const nlohmann::json& config) {
    MatmulOptions options;
    options.backend = config.at("backend").get<std::string>();
    options.array_size = config.at("array").get<int>();
    options.threads = config.at("threads").get<int>();
    options.rounding =
        config.at("rounding") == "stochastic" ? Rounding::stochastic : Rounding::nearest;
    options.rounding_seed = seed_or_derived(config, "rounding_seed", "rounding");
    return options;
}

// The weight a bit_flip or weight_step value names (perturb_weights: an index or a live draw).
std::size_t perturbed_weight(const nlohmann::json& config, long long value) {
    auto v = static_cast<std::size_t>(value);
    if (config.value("perturb_weights", std::string("index")) != "live")
        return v;
    const Split& split = *shared_split(config);
    auto sizes = layer_sizes(config, split.train);
    bool mlp = config.at("model") != "cnn";
    auto model = make_model(config, split.train);
    return live_weight_index(config.at("root_seed").get<std::uint64_t>(), v, split.train,
                             static_cast<std::size_t>(sizes.at(1)), mlp, model->weight_count());
}

// The state of one training: data, backend, model, data order and the latest test results.
class Session {
public:
    explicit Session(const nlohmann::json& config)
        : split_(shared_split(config)), options_(matmul_options(config)),
          matmul_(make_matmul(options_)), model_(make_model(config, split_->train)),
          shuffle_rng_(seed_or_derived(config, "shuffle_seed", "shuffle")),
          order_(split_->train.size()), epochs_(config.at("epochs").get<int>()),
          batch_size_(config.at("batch_size").get<std::size_t>()),
          learning_rate_(config.at("learning_rate").get<float>()),
          momentum_(config.at("momentum").get<float>()),
          cosine_(config.at("lr_schedule") == "cosine") {
        if (split_->train.size() == 0 || split_->test.size() == 0)
            throw std::runtime_error("empty training or test set");
        if (auto flip = config.at("bit_flip").get<long long>(); flip >= 0)
            model_->flip_weight_bit(perturbed_weight(config, flip));
        if (auto step = config.at("weight_step").get<long long>(); step >= 0)
            model_->step_weight(perturbed_weight(config, step), kInt8Max);
        std::iota(order_.begin(), order_.end(), std::size_t{0});
    }

    int epochs() const { return epochs_; }
    const Split& split() const { return *split_; }

    // Cosine decay per epoch, ending at 1/100 of the start: large steps early, small ones
    // late, so the test accuracy does not dip in the last epochs as it can at a constant rate.
    float learning_rate(int epoch) const {
        if (!cosine_ || epochs_ == 1)
            return learning_rate_;
        double progress = double(epoch - 1) / double(epochs_ - 1);
        double factor = 0.01 + 0.99 * 0.5 * (1 + std::cos(3.14159265358979323846 * progress));
        return static_cast<float>(learning_rate_ * factor);
    }

    // One pass over the shuffled training set, then the test set.
    EpochReport run_epoch(int epoch, const observation::Context& context) {
        double start = monotonic_seconds();
        deterministic_shuffle(order_, shuffle_rng_);
        EpochTotals seen;
        for (std::size_t first = 0; first < order_.size(); first += batch_size_) {
            if (context.cancelled())
                throw std::runtime_error("cancelled");
            int count = static_cast<int>(std::min(batch_size_, order_.size() - first));
            gather_batch(split_->train, order_, first, count, batch_inputs_, batch_labels_);
            model_->forward(batch_inputs_.data(), count, *matmul_);
            auto score =
                model_->train_step(batch_labels_.data(), *matmul_, learning_rate(epoch), momentum_);
            seen.loss_sum += score.loss_sum;
            seen.correct += score.correct;
            seen.samples += count;
        }
        test_ = evaluate(*model_, split_->test, *matmul_, logits_);
        return {epoch,
                epochs_,
                seen.loss_sum / seen.samples,
                double(seen.correct) / seen.samples,
                test_.loss_sum / test_.samples,
                double(test_.correct) / test_.samples,
                monotonic_seconds() - start};
    }

    // Final metrics (step 0) and the weights and test logits as tensor files.
    void record_results(db::RunResult& run) const {
        auto stats = matmul_->stats();
        run.add_metric(db::metric::kFinalTestAccuracy, double(test_.correct) / test_.samples);
        run.add_metric(db::metric::kFinalTestLoss, test_.loss_sum / test_.samples);
        run.add_metric("accel_cycles", static_cast<double>(stats.cycles));
        run.add_metric("accel_macs", static_cast<double>(stats.macs));
        run.add_metric("accel_utilisation",
                       stats.cycles ? stats.utilisation(options_.array_size) : 0.0);
        run.add_artifact(db::artifact::kWeights, encode_tensors(model_->tensors()));
        std::vector<float> labels(split_->test.labels.begin(), split_->test.labels.end());
        auto classes = static_cast<std::uint32_t>(split_->test.classes);
        auto count = static_cast<std::uint32_t>(split_->test.size());
        run.add_artifact(
            db::artifact::kTestLogits,
            encode_tensors({{"logits", {count, classes}, logits_}, {"labels", {count}, labels}}));
    }

private:
    std::shared_ptr<const Split> split_;
    MatmulOptions options_;
    std::unique_ptr<MatmulBackend> matmul_;
    std::unique_ptr<Model> model_;
    DeterministicRng shuffle_rng_;
    std::vector<std::size_t> order_;
    int epochs_;
    std::size_t batch_size_;
    float learning_rate_, momentum_;
    bool cosine_;
    std::vector<float> batch_inputs_, logits_;
    std::vector<int> batch_labels_;
    EpochTotals test_;
};

// The training itself; fills metrics and artifacts of `run`.
void train(const nlohmann::json& config, const observation::Context& context,
           const EpochCallback& on_epoch, db::RunResult& run) {
    double start = monotonic_seconds();
    Session session(config);
    run.add_param("dataset_sha256", session.split().sha256);
    run.add_param("dataset_train_samples", std::to_string(session.split().train.size()));
    run.add_param("dataset_test_samples", std::to_string(session.split().test.size()));
    double epochs_wall = 0;
    for (int epoch = 1; epoch <= session.epochs(); ++epoch) {
        context.enter_stage("epoch " + std::to_string(epoch) + "/" + // the sweep's progress line
                            std::to_string(session.epochs()));
        EpochReport report = session.run_epoch(epoch, context);
        epochs_wall += report.wall_s;
        run.add_metric("train_loss", report.train_loss, epoch);
        run.add_metric("train_accuracy", report.train_accuracy, epoch);
        run.add_metric("test_loss", report.test_loss, epoch);
        run.add_metric("test_accuracy", report.test_accuracy, epoch);
        if (on_epoch)
            on_epoch(report);
    }
    session.record_results(run);
    run.add_metric("epoch_wall_s", epochs_wall / session.epochs());
    run.add_metric("wall_s", monotonic_seconds() - start);
}

} // namespace

// Keys added after configuration identities were first defined: at their default they stay out
// of the identity, so every configuration stored before keeps its id (tests/identity pins it).
bool added_after_identity_v1(const std::string& name) {
    static const std::set<std::string> added{"model",       "channels",    "layers",
                                             "lr_schedule", "weight_step", "perturb_weights"};
    return added.contains(name);
}

void validate_config(const nlohmann::json& config) {
    check_config(complete_config(config_keys(), config, "train config"));
}

const std::vector<KeySpec>& config_keys() {
    static const std::vector<KeySpec> keys = [] {
        auto made = make_keys();
        for (auto& key : made)
            key.omit_at_default = added_after_identity_v1(key.name);
        return made;
    }();
    return keys;
}

db::RunResult run_training(const nlohmann::json& config, int repeat,
                           const observation::Context& context) {
    return run_training(config, repeat, context, {});
}

db::RunResult run_training(const nlohmann::json& partial, int repeat,
                           const observation::Context& context, const EpochCallback& on_epoch) {
    nlohmann::json config = complete_config(config_keys(), partial, "train config");
    check_config(config);

    db::RunResult run = observation::start_configured_record(db::RunKind::train, context.experiment,
                                                             config, configuration_id(config),
                                                             repeat, input_digests(config));
    if (config.at("backend") == "golden")
        run.provenance["train.golden_library"] = accel::golden_library();
    for (const char* stream : {"init", "shuffle", "rounding"})
        run.provenance[std::string("train.") + stream + "_seed"] = std::to_string(
            seed_or_derived(config, (std::string(stream) + "_seed").c_str(), stream));

    run.started_at = unix_time_now(); // the inputs' digests and the probes are not the run
    double start = monotonic_seconds();
    try {
        train(config, context, on_epoch, run);
        run.status = db::kStatusDone;
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& error) {
        run.status = db::kStatusFailed;
        run.message = error.what();
        run.metrics.clear();
        run.artifacts.clear();
    }
    run.wall_seconds = monotonic_seconds() - start;
    return run;
}

} // namespace detlab::train
