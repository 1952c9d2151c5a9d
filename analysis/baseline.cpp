// The yardstick of the common scale: how far apart two unrelated outputs of the same kind are,
// from the per-bit-position frequencies over the distinct outputs of an experiment.
#include "analysis/internal.h"

#include <cstring>

namespace detlab::analysis::detail {

const Bytes& BlobCache::get(const std::string& sha) {
    auto it = cache_.find(sha);
    if (it == cache_.end())
        it = cache_.emplace(sha, store_.get_blob(sha)).first;
    return it->second;
}

std::string sha_of(const RunData& run, const std::string& artifact) {
    auto it = run.artifacts.find(artifact);
    return it == run.artifacts.end() ? std::string() : it->second;
}

std::string main_artifact(const std::string& kind) {
    return kind == "train" ? "weights.bin" : "bitstream.bin";
}

std::optional<Bytes> output_bits(const RunData& run, const std::string& kind, BlobCache& blobs) {
    std::string sha = sha_of(run, main_artifact(kind));
    if (sha.empty())
        return std::nullopt;
    const Bytes& raw = blobs.get(sha);
    if (kind != "train") {
        if (auto payload = ice40_config_payload(raw))
            return payload;
        return raw;
    }
    Bytes out;
    for (const auto& tensor : decode_tensors(raw, run.row.id + "/weights.bin")) {
        std::size_t at = out.size();
        out.resize(at + 4 * tensor.values.size());
        std::memcpy(out.data() + at, tensor.values.data(), 4 * tensor.values.size());
    }
    return out;
}

std::string pool_key(const std::string& kind, std::size_t bytes) {
    return kind + ":" + std::to_string(bytes);
}

void BitPool::add(const std::string& sha, std::span<const std::uint8_t> bits) {
    if (!seen_.emplace(sha, true).second)
        return;
    if (ones_.empty())
        ones_.assign(8 * bits.size(), 0);
    if (ones_.size() != 8 * bits.size())
        return; // another size belongs to another pool
    for (std::size_t byte = 0; byte < bits.size(); ++byte)
        if (std::uint8_t v = bits[byte])
            for (int bit = 0; bit < 8; ++bit)
                ones_[8 * byte + std::size_t(bit)] += (v >> bit) & 1u;
    ++outputs_;
}

UnrelatedBaseline BitPool::baseline(const std::string& pool_name) const {
    UnrelatedBaseline b;
    b.outputs = outputs_;
    b.total_bits = ones_.size();
    b.pool = pool_name;
    if (outputs_ < 3)
        return b;
    double m = double(outputs_), sum = 0;
    for (std::uint32_t c : ones_)
        if (c > 0 && c < outputs_) {
            ++b.varying_bits;
            sum += 2 * double(c) * (m - double(c));
        }
    b.expected_bits = sum / (m * (m - 1));
    return b;
}

} // namespace detlab::analysis::detail
