// The training's configuration keys and the checks the key ranges alone cannot make.
#include "harness/train/internal.h"
#include "harness/train/mlp.h"
#include "harness/train/train.h"

#include <algorithm>
#include <set>

namespace detlab::train {
namespace {

using Type = KeySpec::Type;
constexpr double kMaxSeed = 9007199254740991.0; // 2^53 - 1: exact in JSON readers everywhere

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

} // namespace

namespace detail {

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

} // namespace detail

// Keys added after configuration identities were first defined: at their default they stay out
// of the identity, so every configuration stored before keeps its id (tests/identity pins it).
bool added_after_identity_v1(const std::string& name) {
    static const std::set<std::string> added{"model",       "channels",    "layers",
                                             "lr_schedule", "weight_step", "perturb_weights"};
    return added.contains(name);
}

void validate_config(const nlohmann::json& config) {
    detail::check_config(complete_config(config_keys(), config, "train config"));
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

} // namespace detlab::train
