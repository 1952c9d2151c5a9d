// The weight a one-weight perturbation changes when it is drawn among the live weights, the
// way Summers and Dinneen (ICML 2021) perturb: a random parameter, not a fixed index.
#include "harness/train/mlp.h"

#include <stdexcept>
#include <string>

namespace detlab::train {

std::size_t live_weight_index(std::uint64_t root_seed, std::uint64_t draw, const Dataset& train,
                              std::size_t first_layer_outputs, bool mlp, std::size_t weights) {
    if (weights == 0)
        throw std::runtime_error("live_weight_index: the model has no weights");
    auto features = static_cast<std::size_t>(train.features);
    std::vector<bool> live_feature(features, !mlp);
    if (mlp)
        for (std::size_t i = 0; i < train.inputs.size(); ++i)
            if (train.inputs[i] != 0)
                live_feature[i % features] = true;
    DeterministicRng rng(derive_seed(root_seed, "perturb-" + std::to_string(draw)));
    // Dead weights are at most the first layer's; a model whose every first-layer weight is dead
    // (an all-zero training set) still ends after a bounded number of draws.
    for (int attempt = 0; attempt < 100000; ++attempt) {
        auto index = static_cast<std::size_t>(rng.below(weights));
        bool first_layer = mlp && index < features * first_layer_outputs;
        if (!first_layer || live_feature[index / first_layer_outputs])
            return index;
    }
    throw std::runtime_error("live_weight_index: no live weight found (all inputs zero?)");
}

} // namespace detlab::train
