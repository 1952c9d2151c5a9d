// Fuzzes the DLTN tensor-file decoder (weights.bin, test_logits.bin read back from a store or a
// merged database). Malformed input must end in std::runtime_error; a decoded file must be
// consistent (every tensor's values match its shape) and encode back to the same bytes.
#include "harness/tensor_file/tensor_file.h"
#include "harness/util/util.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> bytes(data, size);
    std::vector<detlab::Tensor> tensors;
    try {
        tensors = detlab::decode_tensors(bytes, "fuzz input");
    } catch (const std::runtime_error&) {
        return 0;
    }
    for (const auto& tensor : tensors) {
        unsigned __int128 elements = 1;
        for (auto dim : tensor.shape)
            elements *= dim;
        if (elements != tensor.values.size())
            std::abort(); // a shape that does not describe its values
    }
    auto again = detlab::encode_tensors(tensors);
    if (again.size() != size || std::memcmp(again.data(), data, size) != 0)
        std::abort(); // decoding lost or invented bytes
    return 0;
}
