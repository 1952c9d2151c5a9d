#include "harness/train/mlp.h"

#include "harness/train/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace detlab::train {
void transpose(const float* src, std::size_t rows, std::size_t cols, std::vector<float>& dst) {
    dst.resize(rows * cols);
    kernels::transpose_tiled(src, rows, cols, dst.data());
}

void sgd_update(std::vector<float>& values, std::vector<float>& velocity,
                const std::vector<float>& grads, float learning_rate, float momentum) {
    for (std::size_t i = 0; i < values.size(); ++i) {
        velocity[i] = momentum * velocity[i] + grads[i];
        values[i] -= learning_rate * velocity[i];
    }
}

Mlp::Mlp(const std::vector<int>& sizes, std::uint64_t init_seed, bool input_gradient)
    : want_input_gradient_(input_gradient) {
    DeterministicRng rng(init_seed);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        Layer layer;
        layer.inputs = sizes[l];
        layer.outputs = sizes[l + 1];
        auto count = static_cast<std::size_t>(layer.inputs) * layer.outputs;
        // He-uniform: keeps the ReLU activations' variance constant from layer to layer.
        double limit = std::sqrt(6.0 / layer.inputs);
        for (std::size_t i = 0; i < count; ++i)
            layer.weights.push_back(static_cast<float>((2 * rng.uniform() - 1) * limit));
        layer.bias.assign(static_cast<std::size_t>(layer.outputs), 0.0f);
        layers_.push_back(std::move(layer));
    }
    allocate_state();
}

void Mlp::allocate_state() {
    for (auto& layer : layers_) {
        layer.weight_velocity.assign(layer.weights.size(), 0.0f);
        layer.bias_velocity.assign(layer.bias.size(), 0.0f);
    }
    activations_.resize(layers_.size() + 1);
    weight_grads_.resize(layers_.size());
    bias_grads_.resize(layers_.size());
}

namespace {

const Tensor* find_tensor(const std::vector<Tensor>& tensors, const std::string& name) {
    for (const auto& tensor : tensors)
        if (tensor.name == name)
            return &tensor;
    return nullptr;
}

// "w3", "b3": built by appending, which also keeps GCC 12 from a false -Wrestrict warning on
// `"w" + std::to_string(n)`.
std::string layer_tensor(char kind, std::size_t layer) {
    std::string name(1, kind);
    name += std::to_string(layer);
    return name;
}

} // namespace

Mlp Mlp::from_tensors(const std::vector<Tensor>& tensors) {
    // A CNN's head alone is an MLP too, and its input width can even equal the pixel count
    // (8 channels on 28x28), so refuse it explicitly rather than compute nonsense.
    if (find_tensor(tensors, "conv1_w"))
        throw std::runtime_error("model is a CNN (tensor \"conv1_w\"): inference on a stored "
                                 "model supports MLPs only");
    Mlp mlp;
    for (std::size_t l = 1; const Tensor* w = find_tensor(tensors, layer_tensor('w', l)); ++l) {
        const Tensor* b = find_tensor(tensors, layer_tensor('b', l));
        if (!b)
            throw std::runtime_error("model has no tensor \"" + layer_tensor('b', l) + "\"");
        bool chains = w->shape.size() == 2 && b->shape.size() == 1 && b->shape[0] == w->shape[1] &&
                      w->values.size() == std::size_t{w->shape[0]} * w->shape[1] &&
                      b->values.size() == b->shape[0] &&
                      (mlp.layers_.empty() ||
                       static_cast<std::uint32_t>(mlp.layers_.back().outputs) == w->shape[0]);
        if (!chains)
            throw std::runtime_error("model layer " + std::to_string(l) +
                                     ": tensor shapes do not chain");
        Layer layer;
        layer.inputs = static_cast<int>(w->shape[0]);
        layer.outputs = static_cast<int>(w->shape[1]);
        layer.weights = w->values;
        layer.bias = b->values;
        mlp.layers_.push_back(std::move(layer));
    }
    if (mlp.layers_.empty())
        throw std::runtime_error("model has no tensor \"w1\"");
    mlp.allocate_state();
    return mlp;
}

std::size_t Mlp::weight_count() const {
    std::size_t count = 0;
    for (const auto& layer : layers_)
        count += layer.weights.size();
    return count;
}

void Mlp::flip_weight_bit(std::size_t index) {
    for (auto& layer : layers_) {
        if (index < layer.weights.size()) {
            std::uint32_t bits;
            std::memcpy(&bits, &layer.weights[index], sizeof bits);
            bits ^= 1u;
            std::memcpy(&layer.weights[index], &bits, sizeof bits);
            return;
        }
        index -= layer.weights.size();
    }
    throw std::out_of_range("bit_flip index beyond the model's weights");
}

void step_toward_zero(std::vector<float>& weights, std::size_t index, int qmax) {
    float max_abs = 0;
    for (float w : weights)
        max_abs = std::max(max_abs, std::fabs(w));
    float step = max_abs / static_cast<float>(qmax);
    float& w = weights.at(index);
    w = w > 0 ? w - step : w < 0 ? w + step : step;
}

void Mlp::step_weight(std::size_t index, int qmax) {
    for (auto& layer : layers_) {
        if (index < layer.weights.size()) {
            step_toward_zero(layer.weights, index, qmax);
            return;
        }
        index -= layer.weights.size();
    }
    throw std::out_of_range("weight_step index beyond the model's weights");
}

const std::vector<float>& Mlp::forward(const float* inputs, int batch, MatmulBackend& matmul) {
    batch_ = batch;
    activations_[0].assign(inputs, inputs + static_cast<std::size_t>(batch) * layers_[0].inputs);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const Layer& layer = layers_[l];
        auto& out = activations_[l + 1];
        out.resize(static_cast<std::size_t>(batch) * layer.outputs);
        matmul.multiply(batch, layer.inputs, layer.outputs, activations_[l].data(),
                        layer.weights.data(), out.data());
        bool hidden = l + 1 < layers_.size();
        for (std::size_t i = 0; i < out.size(); ++i) {
            float z = out[i] + layer.bias[i % static_cast<std::size_t>(layer.outputs)];
            out[i] = hidden ? std::max(z, 0.0f) : z;
        }
    }
    return activations_.back();
}

BatchScore Mlp::train_step(const int* labels, MatmulBackend& matmul, float learning_rate,
                           float momentum) {
    std::vector<float> grad(activations_.back().size());
    BatchScore score = score_batch(activations_.back().data(), labels, batch_,
                                   layers_.back().outputs, grad.data());
    for (std::size_t l = layers_.size(); l-- > 0;)
        backward_layer(l, grad, matmul);
    if (want_input_gradient_)
        input_grad_.swap(grad);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        Layer& layer = layers_[l];
        sgd_update(layer.weights, layer.weight_velocity, weight_grads_[l], learning_rate, momentum);
        sgd_update(layer.bias, layer.bias_velocity, bias_grads_[l], learning_rate, momentum);
    }
    return score;
}

// Given d(loss)/d(output of layer `index`, before its activation) in grad_out, stores the weight
// and bias gradients and replaces grad_out by the gradient at the previous layer's pre-activation.
void Mlp::backward_layer(std::size_t index, std::vector<float>& grad_out, MatmulBackend& matmul) {
    const Layer& layer = layers_[index];
    const auto& input = activations_[index];
    // Weight gradient: input^T [in x batch] * grad_out [batch x out].
    weight_grads_[index].resize(layer.weights.size());
    matmul.multiply_transposed_a(layer.inputs, batch_, layer.outputs, input.data(), grad_out.data(),
                                 weight_grads_[index].data());
    auto& bias_grad = bias_grads_[index];
    bias_grad.assign(layer.bias.size(), 0.0f);
    for (int b = 0; b < batch_; ++b)
        for (int o = 0; o < layer.outputs; ++o)
            bias_grad[static_cast<std::size_t>(o)] +=
                grad_out[static_cast<std::size_t>(b) * layer.outputs + o];
    // The first layer's input gradient would be d(loss)/d(pixels), which nothing uses, unless
    // this MLP is the head of a CNN.
    if (index == 0 && !want_input_gradient_)
        return;
    // Input gradient: grad_out [batch x out] * weights^T [out x in], then through the ReLU.
    transpose(layer.weights.data(), static_cast<std::size_t>(layer.inputs),
              static_cast<std::size_t>(layer.outputs), transposed_);
    grad_in_.resize(input.size());
    matmul.multiply(batch_, layer.outputs, layer.inputs, grad_out.data(), transposed_.data(),
                    grad_in_.data());
    for (std::size_t i = 0; i < grad_in_.size(); ++i)
        if (input[i] <= 0.0f)
            grad_in_[i] = 0.0f;
    grad_out.swap(grad_in_);
}

std::vector<Tensor> Mlp::tensors() const {
    std::vector<Tensor> tensors;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const Layer& layer = layers_[l];
        auto number = std::to_string(l + 1);
        tensors.push_back(
            {"w" + number,
             {static_cast<std::uint32_t>(layer.inputs), static_cast<std::uint32_t>(layer.outputs)},
             layer.weights});
        tensors.push_back({"b" + number, {static_cast<std::uint32_t>(layer.outputs)}, layer.bias});
    }
    return tensors;
}

BatchScore score_batch(const float* logits, const int* labels, int batch, int classes,
                       float* grad) {
    BatchScore score;
    std::vector<double> probabilities(static_cast<std::size_t>(classes));
    for (int b = 0; b < batch; ++b) {
        const float* row = logits + static_cast<std::size_t>(b) * classes;
        int predicted = static_cast<int>(std::max_element(row, row + classes) - row);
        score.correct += predicted == labels[b];
        // Softmax in double with the maximum subtracted: no overflow, and fixed order.
        double largest = row[predicted], total = 0;
        for (int c = 0; c < classes; ++c)
            total += probabilities[static_cast<std::size_t>(c)] = std::exp(row[c] - largest);
        for (auto& p : probabilities)
            p /= total;
        score.loss_sum -=
            std::log(std::max(probabilities[static_cast<std::size_t>(labels[b])], 1e-300));
        if (grad)
            for (int c = 0; c < classes; ++c)
                grad[static_cast<std::size_t>(b) * classes + c] = static_cast<float>(
                    (probabilities[static_cast<std::size_t>(c)] - (c == labels[b] ? 1.0 : 0.0)) /
                    batch);
    }
    return score;
}

} // namespace detlab::train
