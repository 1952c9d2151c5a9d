// Private to harness/train: the multilayer perceptron and its SGD-with-momentum update. Every
// matrix product (forward, input gradient, weight gradient) goes through a MatmulBackend; the
// element-wise work (bias, ReLU, softmax, update) is plain fp32 in a fixed order.
#pragma once

#include "harness/common/common.h"
#include "harness/train/train.h"

#include <cstdint>
#include <vector>

namespace detlab::train {

struct Layer {
    int inputs = 0, outputs = 0;
    std::vector<float> weights, bias; // weights: inputs x outputs, row-major
    std::vector<float> weight_velocity, bias_velocity;
};

// Summed loss and correct predictions of a batch under softmax cross-entropy.
struct BatchScore {
    double loss_sum = 0;
    int correct = 0;
};

class Mlp {
public:
    // sizes: {inputs, hidden..., classes}. Weights He-uniform from `init_seed`, biases zero.
    Mlp(const std::vector<int>& sizes, std::uint64_t init_seed);

    // Weights (not biases) of all layers, counted in tensor order w1, w2, ...
    std::size_t weight_count() const;
    // Flips the lowest mantissa bit of one weight (index as counted by weight_count()).
    void flip_weight_bit(std::size_t index);
    // Moves one weight one quantisation step (its layer's max |w| / qmax) toward zero (a zero
    // weight up): with per-tensor max-abs scaling and nearest rounding its quantised level moves
    // by exactly one, where flipping a mantissa bit is rounded away. The layer's largest weight
    // is stepped too, which then also rescales that layer's other levels.
    void step_weight(std::size_t index, int qmax);

    // Logits [batch x classes] of a batch; keeps the activations for train_step.
    const std::vector<float>& forward(const float* inputs, int batch, MatmulBackend& matmul);

    // One SGD step on the batch last passed to forward(); returns its score.
    BatchScore train_step(const int* labels, MatmulBackend& matmul, float learning_rate,
                          float momentum);

    // "w1", "b1", "w2", "b2", ... with shapes [in, out] and [out].
    std::vector<Tensor> tensors() const;

private:
    void backward_layer(std::size_t index, std::vector<float>& grad_out, MatmulBackend& matmul);
    void update(Layer& layer, float learning_rate, float momentum);

    std::vector<Layer> layers_;
    int batch_ = 0;
    // activations_[l]: input of layer l (after ReLU); activations_.back(): logits.
    std::vector<std::vector<float>> activations_;
    std::vector<std::vector<float>> weight_grads_, bias_grads_;
    std::vector<float> transposed_, grad_in_;
};

// Scores logits against labels; with `grad` non-null also writes d(mean loss)/d(logits).
BatchScore score_batch(const float* logits, const int* labels, int batch, int classes, float* grad);

} // namespace detlab::train
