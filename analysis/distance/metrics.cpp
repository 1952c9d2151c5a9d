// Training-side distances (weights, logits, predictions) and summary statistics.
#include "analysis/distance/distance.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace detlab::analysis {
namespace {

const Tensor& find_tensor(const std::vector<Tensor>& tensors, const std::string& name) {
    for (const auto& t : tensors)
        if (t.name == name)
            return t;
    throw std::runtime_error("tensor '" + name + "' missing");
}

void check_logits(const Tensor& logits, const Tensor& labels) {
    if (logits.shape.size() != 2 || labels.values.size() != logits.shape[0] ||
        logits.values.size() != std::size_t{logits.shape[0]} * logits.shape[1] ||
        logits.shape[1] == 0)
        throw std::runtime_error("logits must be [n x classes] with n labels");
}

// Softmax of one row, shifted by its maximum for numerical safety.
std::vector<double> softmax_row(const Tensor& logits, std::size_t row) {
    std::size_t classes = logits.shape[1];
    const float* p = logits.values.data() + row * classes;
    double top = *std::max_element(p, p + classes);
    std::vector<double> out(classes);
    double sum = 0;
    for (std::size_t c = 0; c < classes; ++c)
        sum += out[c] = std::exp(double(p[c]) - top);
    for (auto& v : out)
        v /= sum;
    return out;
}

} // namespace

double WeightDistance::differing_bit_fraction() const {
    return total_bits == 0 ? 0.0
                           : static_cast<double>(differing_bits) / static_cast<double>(total_bits);
}

WeightDistance weight_distance(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
    if (a.size() != b.size())
        throw std::runtime_error("weight files hold different tensor counts");
    WeightDistance d;
    double diff_sq = 0, norm_a_sq = 0;
    for (const auto& ta : a) {
        const Tensor& tb = find_tensor(b, ta.name);
        if (ta.shape != tb.shape || ta.values.size() != tb.values.size())
            throw std::runtime_error("tensor '" + ta.name + "' has different shapes");
        for (std::size_t i = 0; i < ta.values.size(); ++i) {
            std::uint32_t x = std::bit_cast<std::uint32_t>(ta.values[i]);
            std::uint32_t y = std::bit_cast<std::uint32_t>(tb.values[i]);
            d.differing_bits += static_cast<std::uint64_t>(std::popcount(x ^ y));
            double delta = double(ta.values[i]) - double(tb.values[i]);
            diff_sq += delta * delta;
            norm_a_sq += double(ta.values[i]) * double(ta.values[i]);
        }
        d.total_bits += 32 * static_cast<std::uint64_t>(ta.values.size());
    }
    d.identical = d.differing_bits == 0;
    if (norm_a_sq > 0)
        d.relative_l2 = std::sqrt(diff_sq / norm_a_sq);
    else
        d.relative_l2 = diff_sq > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return d;
}

double pearson(std::span<const float> x, std::span<const float> y) {
    if (x.size() != y.size() || x.size() < 2)
        return std::numeric_limits<double>::quiet_NaN();
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= double(x.size());
    my /= double(y.size());
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0)
        return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
}

std::vector<std::uint32_t> argmax_rows(const Tensor& logits) {
    if (logits.shape.size() != 2 || logits.shape[1] == 0)
        throw std::runtime_error("logits must be [n x classes]");
    std::size_t classes = logits.shape[1];
    std::vector<std::uint32_t> out(logits.shape[0]);
    for (std::size_t r = 0; r < out.size(); ++r) {
        const float* p = logits.values.data() + r * classes;
        out[r] = static_cast<std::uint32_t>(std::max_element(p, p + classes) - p);
    }
    return out;
}

double accuracy(const Tensor& logits, const Tensor& labels) {
    check_logits(logits, labels);
    auto predicted = argmax_rows(logits);
    std::size_t correct = 0;
    for (std::size_t r = 0; r < predicted.size(); ++r)
        correct += predicted[r] == static_cast<std::uint32_t>(labels.values[r]);
    return predicted.empty() ? 0.0 : double(correct) / double(predicted.size());
}

double cross_entropy(const Tensor& logits, const Tensor& labels) {
    check_logits(logits, labels);
    double total = 0;
    for (std::size_t r = 0; r < labels.values.size(); ++r) {
        auto p = softmax_row(logits, r);
        total -= std::log(std::max(p.at(static_cast<std::size_t>(labels.values[r])), 1e-300));
    }
    return labels.values.empty() ? 0.0 : total / double(labels.values.size());
}

LogitsComparison compare_logits(const Tensor& logits_a, const Tensor& logits_b,
                                const Tensor& labels) {
    check_logits(logits_a, labels);
    check_logits(logits_b, labels);
    if (logits_a.shape != logits_b.shape)
        throw std::runtime_error("logits of different shapes");
    LogitsComparison c;
    auto pa = argmax_rows(logits_a), pb = argmax_rows(logits_b);
    std::size_t differ = 0, ensemble_correct = 0, n = pa.size();
    for (std::size_t r = 0; r < n; ++r) {
        differ += pa[r] != pb[r];
        auto sa = softmax_row(logits_a, r), sb = softmax_row(logits_b, r);
        std::size_t best = 0;
        for (std::size_t k = 1; k < sa.size(); ++k)
            if (sa[k] + sb[k] > sa[best] + sb[best])
                best = k;
        ensemble_correct += best == static_cast<std::size_t>(labels.values[r]);
    }
    c.disagreement = n ? double(differ) / double(n) : 0.0;
    c.pearson = pearson(logits_a.values, logits_b.values);
    c.accuracy_a = accuracy(logits_a, labels);
    c.accuracy_b = accuracy(logits_b, labels);
    c.ensemble_accuracy = n ? double(ensemble_correct) / double(n) : 0.0;
    c.ensemble_gain = c.ensemble_accuracy - (c.accuracy_a + c.accuracy_b) / 2;
    return c;
}

double output_disagreement(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                           std::size_t words_per_vector) {
    std::size_t stride = 4 * std::max<std::size_t>(words_per_vector, 1);
    std::size_t vectors = std::max(a.size(), b.size()) / stride;
    if (a.size() != b.size())
        return 1.0;
    if (vectors == 0)
        return 0.0;
    std::size_t differ = 0;
    for (std::size_t v = 0; v < vectors; ++v)
        differ += std::memcmp(a.data() + v * stride, b.data() + v * stride, stride) != 0;
    return double(differ) / double(vectors);
}

} // namespace detlab::analysis
