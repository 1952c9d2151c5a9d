// Private to harness/train: the multilayer perceptron and its SGD-with-momentum update. Every
// matrix product (forward, input gradient, weight gradient) goes through a MatmulBackend; the
// element-wise work (bias, ReLU, softmax, update) is plain fp32 in a fixed order.
#pragma once

#include "harness/tensor_file/tensor_file.h"
#include "harness/train/train.h"
#include "harness/util/util.h"

#include <cstdint>
#include <memory>
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

// What the trainer needs of a model (the MLP here, the CNN in cnn.h).
class Model {
public:
    virtual ~Model() = default;
    // Weights (not biases) of all layers, counted in tensor order.
    virtual std::size_t weight_count() const = 0;
    // Flips the lowest mantissa bit of one weight (index as counted by weight_count()).
    virtual void flip_weight_bit(std::size_t index) = 0;
    // Moves one weight one quantisation step (its layer's max |w| / qmax) toward zero (a zero
    // weight up): with per-tensor max-abs scaling and nearest rounding its quantised level moves
    // by exactly one, where flipping a mantissa bit is rounded away.
    virtual void step_weight(std::size_t index, int qmax) = 0;
    // Logits [batch x classes] of a batch; keeps the activations for train_step.
    virtual const std::vector<float>& forward(const float* inputs, int batch,
                                              MatmulBackend& matmul) = 0;
    // One SGD step on the batch last passed to forward(); returns its score.
    virtual BatchScore train_step(const int* labels, MatmulBackend& matmul, float learning_rate,
                                  float momentum) = 0;
    virtual std::vector<Tensor> tensors() const = 0;
};

// step_weight on one layer's weights: weights[index] one step of max|w| / qmax toward zero.
void step_toward_zero(std::vector<float>& weights, std::size_t index, int qmax);

// dst [cols x rows] = src [rows x cols] transposed (the backward passes' A^T and W^T operands).
void transpose(const float* src, std::size_t rows, std::size_t cols, std::vector<float>& dst);

// One SGD-with-momentum update of a layer's weights and biases from their gradients.
void sgd_update(std::vector<float>& values, std::vector<float>& velocity,
                const std::vector<float>& grads, float learning_rate, float momentum);

class Mlp : public Model {
public:
    // sizes: {inputs, hidden..., classes}. Weights He-uniform from `init_seed`, biases zero.
    // With `input_gradient` the backward pass also computes d(loss)/d(inputs), for a model
    // (the CNN) that feeds its features into this one.
    Mlp(const std::vector<int>& sizes, std::uint64_t init_seed, bool input_gradient = false);
    // The model stored as tensors() gave it ("w1", "b1", ...): for inference through the same
    // forward() as training. Throws std::runtime_error naming what is missing or does not chain
    // (and for a CNN's tensors: only an MLP is rebuilt).
    static Mlp from_tensors(const std::vector<Tensor>& tensors);

    std::size_t weight_count() const override;
    void flip_weight_bit(std::size_t index) override;
    void step_weight(std::size_t index, int qmax) override;
    const std::vector<float>& forward(const float* inputs, int batch,
                                      MatmulBackend& matmul) override;
    BatchScore train_step(const int* labels, MatmulBackend& matmul, float learning_rate,
                          float momentum) override;
    // "w1", "b1", "w2", "b2", ... with shapes [in, out] and [out].
    std::vector<Tensor> tensors() const override;

    // After train_step with input_gradient: d(loss)/d(inputs) [batch x inputs], zero where the
    // input was <= 0 (the inputs are ReLU outputs).
    const std::vector<float>& input_gradient() const { return input_grad_; }

private:
    Mlp() = default;
    // Momentum (zero), activation and gradient buffers for the layers as they are now.
    void allocate_state();
    void backward_layer(std::size_t index, std::vector<float>& grad_out, MatmulBackend& matmul);
    void update(Layer& layer, float learning_rate, float momentum);

    std::vector<Layer> layers_;
    int batch_ = 0;
    // activations_[l]: input of layer l (after ReLU); activations_.back(): logits.
    std::vector<std::vector<float>> activations_;
    std::vector<std::vector<float>> weight_grads_, bias_grads_;
    std::vector<float> transposed_, grad_in_, input_grad_;
    bool want_input_gradient_ = false;
};

// The small CNN (cnn.cpp): two 3x3 convolutions of `channels` and 2*`channels` maps, each with
// ReLU and 2x2 max pooling, then an Mlp head {flattened, hidden..., classes}. Every convolution
// is one GEMM on the backend through im2col (forward, weight and input gradients).
std::unique_ptr<Model> make_cnn(int side, int channels, const std::vector<int>& head_hidden,
                                int classes, std::uint64_t init_seed);
// Weights (not biases) of that CNN, for checking a bit_flip index before training.
std::size_t cnn_weight_count(int side, int channels, const std::vector<int>& head_hidden,
                             int classes);

// Which weight a one-weight perturbation changes (perturb.cpp). `draw` numbers the studies'
// perturbations: each draws one weight uniformly over all layers with its own seed (derived from
// `root_seed`), skipping dead weights: an MLP's first-layer weights whose input feature is zero
// in every training sample get no gradient, so changing them changes nothing (issue 25). The
// CNN's weights all count as live (each kernel weight sees many pixels).
std::size_t live_weight_index(std::uint64_t root_seed, std::uint64_t draw, const Dataset& train,
                              std::size_t first_layer_outputs, bool mlp, std::size_t weights);

// Scores logits against labels; with `grad` non-null also writes d(mean loss)/d(logits).
BatchScore score_batch(const float* logits, const int* labels, int batch, int classes, float* grad);

} // namespace detlab::train
