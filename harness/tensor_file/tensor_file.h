// The DLTN tensor file: how weights and logits are stored as blobs (training, programs, the
// analysis's weight distances and the fuzzer read and write it).
#pragma once

#include "harness/util/util.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace detlab {

// Format (little-endian): magic "DLTN", u32 version (1), u32 tensor count; per tensor:
// u32 name length, name bytes, u32 rank, rank x u32 dims, then prod(dims) float32 values.
struct Tensor {
    std::string name;
    std::vector<std::uint32_t> shape;
    std::vector<float> values;
};
Bytes encode_tensors(const std::vector<Tensor>& tensors);
// Throws std::runtime_error naming `origin` and the byte offset on malformed input.
std::vector<Tensor> decode_tensors(std::span<const std::uint8_t> bytes,
                                   const std::string& origin = "tensor file");

} // namespace detlab
