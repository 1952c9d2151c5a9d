// Inference with a stored model: the forward pass of Mlp::forward over tensors read from a
// weights.bin blob, so a trained model can be evaluated on any MatmulBackend after the fact.
#include "harness/train/train.h"

#include <algorithm>
#include <stdexcept>

namespace detlab::train {
namespace {

const Tensor& find_tensor(const std::vector<Tensor>& tensors, const std::string& name) {
    for (const auto& tensor : tensors)
        if (tensor.name == name)
            return tensor;
    throw std::runtime_error("model has no tensor \"" + name + "\"");
}

// "w3", "b3": built by appending, which also keeps GCC 12 from a false -Wrestrict warning on
// `"w" + std::to_string(n)`.
std::string layer_tensor(char kind, std::size_t layer) {
    std::string name(1, kind);
    name += std::to_string(layer);
    return name;
}

} // namespace

std::vector<float> infer_logits(const std::vector<Tensor>& weights, const float* inputs, int count,
                                MatmulBackend& matmul) {
    // A CNN's head alone is an MLP too, and its input width can even equal the pixel count
    // (8 channels on 28x28), so refuse it explicitly rather than compute nonsense.
    if (std::any_of(weights.begin(), weights.end(),
                    [](const Tensor& t) { return t.name == "conv1_w"; }))
        throw std::runtime_error("model is a CNN (tensor \"conv1_w\"): inference on a stored "
                                 "model supports MLPs only");
    std::size_t layers = 0;
    while (std::any_of(weights.begin(), weights.end(),
                       [&](const Tensor& t) { return t.name == layer_tensor('w', layers + 1); }))
        ++layers;
    if (layers == 0)
        throw std::runtime_error("model has no tensor \"w1\"");
    std::vector<float> activation(inputs, inputs + static_cast<std::size_t>(count) *
                                                       find_tensor(weights, "w1").shape.at(0));
    std::vector<float> out;
    for (std::size_t l = 1; l <= layers; ++l) {
        const Tensor& w = find_tensor(weights, layer_tensor('w', l));
        const Tensor& b = find_tensor(weights, layer_tensor('b', l));
        if (w.shape.size() != 2 || b.shape.size() != 1 || b.shape[0] != w.shape[1] ||
            activation.size() != static_cast<std::size_t>(count) * w.shape[0])
            throw std::runtime_error("model layer " + std::to_string(l) +
                                     ": tensor shapes do not chain");
        int in = static_cast<int>(w.shape[0]), outputs = static_cast<int>(w.shape[1]);
        out.resize(static_cast<std::size_t>(count) * static_cast<std::size_t>(outputs));
        matmul.multiply(count, in, outputs, activation.data(), w.values.data(), out.data());
        bool hidden = l < layers;
        for (std::size_t i = 0; i < out.size(); ++i) {
            float z = out[i] + b.values[i % static_cast<std::size_t>(outputs)];
            out[i] = hidden ? std::max(z, 0.0f) : z;
        }
        activation.swap(out);
    }
    return activation;
}

} // namespace detlab::train
