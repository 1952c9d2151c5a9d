// Private to analysis/: the blob cache and the bit vectors of a run's main output, shared by
// the per-group summaries and the experiment-wide baseline of the common scale.
#pragma once

#include "analysis/analysis.h"

namespace detlab::analysis::detail {

// Fetches each blob once: pairs and groups reuse what runs share.
class BlobCache {
public:
    explicit BlobCache(const db::Store& store) : store_(store) {}
    const Bytes& get(const std::string& sha);

private:
    const db::Store& store_;
    std::map<std::string, Bytes> cache_;
};

std::string sha_of(const RunData& run, const std::string& artifact);

// The artifact whose bytes are "the output" of a run of this kind: bitstream.bin or weights.bin.
std::string main_artifact(const std::string& kind);

// The bits the common scale compares: an iCE40 .bin's configuration payload (the whole file when
// it does not parse), or the float32 bit patterns of every weight tensor in file order. nullopt
// when the run lacks the artifact.
std::optional<Bytes> output_bits(const RunData& run, const std::string& kind, BlobCache& blobs);

// Per-position set counts over distinct outputs, then the baseline they give.
class BitPool {
public:
    void add(const std::string& sha, std::span<const std::uint8_t> bits);
    UnrelatedBaseline baseline(const std::string& pool_name) const;

private:
    std::map<std::string, bool> seen_;
    std::vector<std::uint32_t> ones_; // per bit position
    std::size_t outputs_ = 0;
};

// Key of the pool an output belongs to: kind and size in bytes.
std::string pool_key(const std::string& kind, std::size_t bytes);

} // namespace detlab::analysis::detail
