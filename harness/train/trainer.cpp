// One training run: seeds, the epoch loop, metrics and artifacts (its keys: keys.cpp).
#include "harness/invariant/invariant.h"
#include "harness/train/internal.h"
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

constexpr int kEvalBatch = 256;

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
    run.add_metric(db::metric::kEpochWallS, epochs_wall / session.epochs());
    run.add_metric("wall_s", monotonic_seconds() - start);
}

} // namespace

db::RunResult run_training(const nlohmann::json& config, int repeat,
                           const observation::Context& context) {
    return run_training(config, repeat, context, {});
}

db::RunResult run_training(const nlohmann::json& partial, int repeat,
                           const observation::Context& context, const EpochCallback& on_epoch) {
    nlohmann::json config = complete_config(config_keys(), partial, "train config");
    detail::check_config(config);

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
    } catch (const InternalError&) {
        throw; // a bug in detlab is not a run's result
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
