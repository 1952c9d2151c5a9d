// The small convolutional network: conv 3x3 -> ReLU -> 2x2 max pool, twice, then an MLP head.
// Activations are NHWC ([batch, y, x, channel] row-major), so an im2col row (one output pixel:
// 3x3 neighbours times input channels) is gathered from contiguous channel runs, and a
// convolution is one GEMM [pixels x 9*Cin] * [9*Cin x Cout] on the backend.
#include "harness/train/mlp.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace detlab::train {
namespace {

constexpr int kKernel = 3; // 3x3, stride 1, zero padding 1: the map keeps its size

struct Conv {
    int side = 0, in_channels = 0, out_channels = 0; // input side x side x in_channels
    std::vector<float> weights, bias;                // [9*Cin x Cout], [Cout]
    std::vector<float> weight_velocity, bias_velocity, weight_grad, bias_grad;
    // The caller's input, which it keeps until backward() (the batch, or the previous layer's
    // pooled output); cols and output are kept for the backward pass, output after the ReLU.
    const float* input = nullptr;
    std::vector<float> cols, output;
    std::vector<int> pool_from; // per pooled value: index into output it came from
    std::vector<float> pooled;
    std::vector<float> grad_out, grad_cols, scratch; // backward buffers, reused across batches

    int taps() const { return kKernel * kKernel * in_channels; }
    int pooled_side() const { return side / 2; }

    // cols [batch*side*side x taps] from input [batch, side, side, Cin]. A row's three taps of
    // one kernel row are 3 * Cin contiguous floats of the input, copied in one run (a library
    // memcpy per Cin run was most of this loop's time at Cin = 1); taps outside the map are 0.
    void im2col(int batch) {
        auto pixels = static_cast<std::size_t>(batch) * side * side;
        cols.resize(pixels * taps());
        auto cin = static_cast<std::size_t>(in_channels);
        std::size_t run = kKernel * cin; // one kernel row of taps
        for (int b = 0; b < batch; ++b)
            for (int y = 0; y < side; ++y)
                for (int x = 0; x < side; ++x) {
                    float* row = cols.data() + ((std::size_t(b) * side + y) * side + x) * taps();
                    for (int ky = 0; ky < kKernel; ++ky) {
                        float* dst = row + ky * run;
                        int sy = y + ky - 1;
                        if (sy < 0 || sy >= side) {
                            std::fill_n(dst, run, 0.0f);
                            continue;
                        }
                        // Columns x - 1 .. x + 1, clipped to the map.
                        int first = x == 0 ? 1 : 0, last = x == side - 1 ? 1 : 2;
                        std::fill_n(dst, first * cin, 0.0f);
                        const float* src =
                            input + ((std::size_t(b) * side + sy) * side + (x - 1 + first)) * cin;
                        copy_floats(src, (last - first + 1) * cin, dst + first * cin);
                        std::fill_n(dst + (last + 1) * cin, (2 - last) * cin, 0.0f);
                    }
                }
    }

    // dst[0, count) = src[0, count) in fixed-size pieces the compiler inlines as register moves
    // (the runs are short: a library call per run costs more than the copy).
    static void copy_floats(const float* src, std::size_t count, float* dst) {
        std::size_t i = 0;
        for (; i + 8 <= count; i += 8)
            std::memcpy(dst + i, src + i, 8 * sizeof(float));
        if (i + 4 <= count) {
            std::memcpy(dst + i, src + i, 4 * sizeof(float));
            i += 4;
        }
        if (i + 2 <= count) {
            std::memcpy(dst + i, src + i, 2 * sizeof(float));
            i += 2;
        }
        if (i < count)
            dst[i] = src[i];
    }

    // grad_input [batch, side, side, Cin] += the im2col gradient, scattered back.
    void col2im(int batch, const std::vector<float>& from_cols, std::vector<float>& grad_input) {
        auto cin = static_cast<std::size_t>(in_channels);
        grad_input.assign(static_cast<std::size_t>(batch) * side * side * cin, 0.0f);
        for (int b = 0; b < batch; ++b)
            for (int y = 0; y < side; ++y)
                for (int x = 0; x < side; ++x) {
                    const float* row =
                        from_cols.data() + ((std::size_t(b) * side + y) * side + x) * taps();
                    for (int ky = 0; ky < kKernel; ++ky)
                        for (int kx = 0; kx < kKernel; ++kx) {
                            int sy = y + ky - 1, sx = x + kx - 1;
                            if (sy < 0 || sy >= side || sx < 0 || sx >= side)
                                continue;
                            float* dst = grad_input.data() +
                                         ((std::size_t(b) * side + sy) * side + sx) * cin;
                            const float* src = row + (ky * kKernel + kx) * cin;
                            for (std::size_t c = 0; c < cin; ++c)
                                dst[c] += src[c];
                        }
                }
    }

    void forward(const float* in, int batch, MatmulBackend& matmul) {
        input = in;
        im2col(batch);
        int pixels = batch * side * side;
        output.resize(static_cast<std::size_t>(pixels) * out_channels);
        matmul.multiply(pixels, taps(), out_channels, cols.data(), weights.data(), output.data());
        // Per pixel row, not `i % channels` per element: the division kept this loop scalar.
        auto cout = static_cast<std::size_t>(out_channels);
        for (float* row = output.data(); row != output.data() + output.size(); row += cout)
            for (std::size_t c = 0; c < cout; ++c)
                row[c] = std::max(row[c] + bias[c], 0.0f);
        pool(batch);
    }

    // 2x2 max pooling; the first maximum in row-major window order wins ties.
    void pool(int batch) {
        int half = pooled_side();
        auto cout = static_cast<std::size_t>(out_channels);
        pooled.resize(static_cast<std::size_t>(batch) * half * half * cout);
        pool_from.resize(pooled.size());
        std::size_t at = 0;
        auto row = static_cast<std::size_t>(side) * cout; // one image row of the map
        for (int b = 0; b < batch; ++b)
            for (int y = 0; y < half; ++y)
                for (int x = 0; x < half; ++x) {
                    // The window's four corners, in row-major order, as offsets into output.
                    std::size_t corner[4];
                    corner[0] = ((std::size_t(b) * side + 2 * y) * side + 2 * x) * cout;
                    corner[1] = corner[0] + cout;
                    corner[2] = corner[0] + row;
                    corner[3] = corner[2] + cout;
                    for (std::size_t c = 0; c < cout; ++c, ++at) {
                        std::size_t best = corner[0] + c;
                        for (int k = 1; k < 4; ++k)
                            if (output[corner[k] + c] > output[best])
                                best = corner[k] + c;
                        pool_from[at] = static_cast<int>(best);
                        pooled[at] = output[best];
                    }
                }
    }

    // From d(loss)/d(pooled): weight and bias gradients, and (if grad_input) d(loss)/d(input).
    void backward(int batch, const std::vector<float>& grad_pooled, MatmulBackend& matmul,
                  std::vector<float>* grad_input) {
        grad_out.assign(output.size(), 0.0f);
        for (std::size_t i = 0; i < grad_pooled.size(); ++i) {
            auto from = static_cast<std::size_t>(pool_from[i]);
            if (output[from] > 0.0f) // through the ReLU
                grad_out[from] += grad_pooled[i];
        }
        int pixels = batch * side * side;
        weight_grad.resize(weights.size());
        matmul.multiply_transposed_a(taps(), pixels, out_channels, cols.data(), grad_out.data(),
                                     weight_grad.data());
        // Each channel's sum still adds its pixels in ascending order (bit-exact with the
        // element-wise loop), without a division per element.
        bias_grad.assign(bias.size(), 0.0f);
        auto cout = static_cast<std::size_t>(out_channels);
        for (std::size_t at = 0; at < grad_out.size(); at += cout)
            for (std::size_t c = 0; c < cout; ++c)
                bias_grad[c] += grad_out[at + c];
        if (!grad_input)
            return;
        transpose(weights.data(), static_cast<std::size_t>(taps()),
                  static_cast<std::size_t>(out_channels), scratch);
        grad_cols.resize(cols.size());
        matmul.multiply(pixels, out_channels, taps(), grad_out.data(), scratch.data(),
                        grad_cols.data());
        col2im(batch, grad_cols, *grad_input);
        // The input is the previous layer's pooled ReLU output: no gradient where it is 0.
        for (std::size_t i = 0; i < grad_input->size(); ++i)
            if (input[i] <= 0.0f)
                (*grad_input)[i] = 0.0f;
    }
};

Conv make_conv(int side, int in_channels, int out_channels, DeterministicRng& rng) {
    Conv conv;
    conv.side = side;
    conv.in_channels = in_channels;
    conv.out_channels = out_channels;
    auto count = static_cast<std::size_t>(conv.taps()) * out_channels;
    double limit = std::sqrt(6.0 / conv.taps()); // He-uniform over the fan-in
    for (std::size_t i = 0; i < count; ++i)
        conv.weights.push_back(static_cast<float>((2 * rng.uniform() - 1) * limit));
    conv.bias.assign(static_cast<std::size_t>(out_channels), 0.0f);
    conv.weight_velocity.assign(count, 0.0f);
    conv.bias_velocity.assign(conv.bias.size(), 0.0f);
    return conv;
}

std::vector<int> head_sizes(int side, int channels, const std::vector<int>& hidden, int classes) {
    int flat = 2 * channels * (side / 4) * (side / 4);
    std::vector<int> sizes{flat};
    sizes.insert(sizes.end(), hidden.begin(), hidden.end());
    sizes.push_back(classes);
    return sizes;
}

class Cnn final : public Model {
public:
    Cnn(int side, int channels, const std::vector<int>& hidden, int classes,
        std::uint64_t init_seed)
        : rng_(init_seed), convs_{make_conv(side, 1, channels, rng_),
                                  make_conv(side / 2, channels, 2 * channels, rng_)},
          head_(head_sizes(side, channels, hidden, classes), derive_seed(init_seed, "cnn-head"),
                true) {}

    std::size_t weight_count() const override {
        return convs_[0].weights.size() + convs_[1].weights.size() + head_.weight_count();
    }

    void flip_weight_bit(std::size_t index) override {
        for (auto& conv : convs_) {
            if (index < conv.weights.size()) {
                std::uint32_t bits;
                std::memcpy(&bits, &conv.weights[index], sizeof bits);
                bits ^= 1u;
                std::memcpy(&conv.weights[index], &bits, sizeof bits);
                return;
            }
            index -= conv.weights.size();
        }
        head_.flip_weight_bit(index);
    }

    void step_weight(std::size_t index, int qmax) override {
        for (auto& conv : convs_) {
            if (index < conv.weights.size()) {
                step_toward_zero(conv.weights, index, qmax);
                return;
            }
            index -= conv.weights.size();
        }
        head_.step_weight(index, qmax);
    }

    const std::vector<float>& forward(const float* inputs, int batch,
                                      MatmulBackend& matmul) override {
        batch_ = batch;
        convs_[0].forward(inputs, batch, matmul);
        convs_[1].forward(convs_[0].pooled.data(), batch, matmul);
        return head_.forward(convs_[1].pooled.data(), batch, matmul);
    }

    BatchScore train_step(const int* labels, MatmulBackend& matmul, float learning_rate,
                          float momentum) override {
        BatchScore score = head_.train_step(labels, matmul, learning_rate, momentum);
        convs_[1].backward(batch_, head_.input_gradient(), matmul, &grad_first_);
        convs_[0].backward(batch_, grad_first_, matmul, nullptr);
        for (auto& conv : convs_) {
            sgd_update(conv.weights, conv.weight_velocity, conv.weight_grad, learning_rate,
                       momentum);
            sgd_update(conv.bias, conv.bias_velocity, conv.bias_grad, learning_rate, momentum);
        }
        return score;
    }

    // "conv1_w" [9*Cin, Cout] (rows ky, kx, channel), "conv1_b", "conv2_w", "conv2_b", then the
    // head's "w1", "b1", ...
    std::vector<Tensor> tensors() const override {
        std::vector<Tensor> tensors;
        for (std::size_t l = 0; l < convs_.size(); ++l) {
            const Conv& conv = convs_[l];
            std::string prefix = "conv";
            prefix += std::to_string(l + 1);
            tensors.push_back({prefix + "_w",
                               {static_cast<std::uint32_t>(conv.taps()),
                                static_cast<std::uint32_t>(conv.out_channels)},
                               conv.weights});
            tensors.push_back(
                {prefix + "_b", {static_cast<std::uint32_t>(conv.out_channels)}, conv.bias});
        }
        auto head = head_.tensors();
        tensors.insert(tensors.end(), head.begin(), head.end());
        return tensors;
    }

private:
    DeterministicRng rng_;
    std::vector<Conv> convs_;
    Mlp head_;
    std::vector<float> grad_first_; // d(loss)/d(first conv's pooled output), reused
    int batch_ = 0;
};

} // namespace

std::unique_ptr<Model> make_cnn(int side, int channels, const std::vector<int>& head_hidden,
                                int classes, std::uint64_t init_seed) {
    return std::make_unique<Cnn>(side, channels, head_hidden, classes, init_seed);
}

std::size_t cnn_weight_count(int side, int channels, const std::vector<int>& head_hidden,
                             int classes) {
    auto sizes = head_sizes(side, channels, head_hidden, classes);
    std::size_t count = std::size_t(9) * channels + std::size_t(9) * channels * 2 * channels;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
        count += static_cast<std::size_t>(sizes[l]) * static_cast<std::size_t>(sizes[l + 1]);
    return count;
}

} // namespace detlab::train
