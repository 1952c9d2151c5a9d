// The yardstick of the common scale: how far apart two independent outputs with the bit
// densities of a compared pair would be, and the loaders of a run's outputs it reads.
#include "analysis/internal.h"

#include <bit>
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
    return db::run_kind(kind) == db::RunKind::train ? db::artifact::kWeights
                                                    : db::artifact::kBitstream;
}

std::optional<Bytes> output_bits(const RunData& run, const std::string& kind, BlobCache& blobs) {
    std::string sha = sha_of(run, main_artifact(kind));
    if (sha.empty())
        return std::nullopt;
    const Bytes& raw = blobs.get(sha);
    if (db::run_kind(kind) != db::RunKind::train) {
        if (auto payload = config_payload(raw)) // issue 27: iCE40 or ECP5
            return std::move(payload->bits);
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

TrainingArtifacts decode_training(const RunData& run, BlobCache& blobs) {
    TrainingArtifacts t;
    if (auto sha = sha_of(run, db::artifact::kWeights); !sha.empty())
        t.weights = decode_tensors(blobs.get(sha), run.row.id + "/weights.bin");
    if (auto sha = sha_of(run, db::artifact::kTestLogits); !sha.empty())
        for (auto& tensor : decode_tensors(blobs.get(sha), run.row.id + "/test_logits.bin")) {
            if (tensor.name == "logits")
                t.logits = std::move(tensor);
            else if (tensor.name == "labels")
                t.labels = std::move(tensor);
        }
    return t;
}

BitDensity bit_density(std::span<const std::uint8_t> bits, bool float_words) {
    std::size_t classes = float_words ? 32 : 1;
    BitDensity d{std::vector<std::uint64_t>(classes, 0), std::vector<std::uint64_t>(classes, 0)};
    for (std::size_t byte = 0; byte < bits.size(); ++byte)
        for (unsigned bit = 0; bit < 8; ++bit) {
            // Little-endian float32: byte 3 holds the sign and the top exponent bits.
            std::size_t k = float_words ? (byte % 4) * 8 + bit : 0;
            ++d.size[k];
            d.set[k] += (bits[byte] >> bit) & 1u;
        }
    return d;
}

double expected_distance(const BitDensity& a, const BitDensity& b) {
    double sum = 0;
    for (std::size_t k = 0; k < a.size.size() && k < b.size.size(); ++k) {
        if (a.size[k] == 0 || a.size[k] != b.size[k])
            continue;
        double n = double(a.size[k]), pa = double(a.set[k]) / n, pb = double(b.set[k]) / n;
        sum += n * (pa + pb - 2 * pa * pb);
    }
    return sum;
}

std::uint64_t varying_positions(const std::vector<Bytes>& outputs) {
    if (outputs.empty())
        return 0;
    std::uint64_t count = 0;
    for (std::size_t byte = 0; byte < outputs[0].size(); ++byte) {
        std::uint8_t any = 0, all = 0xFF;
        for (const auto& o : outputs) {
            any |= o[byte];
            all &= o[byte];
        }
        count +=
            static_cast<std::uint64_t>(std::popcount(static_cast<unsigned>(any & ~all & 0xFF)));
    }
    return count;
}

} // namespace detlab::analysis::detail
