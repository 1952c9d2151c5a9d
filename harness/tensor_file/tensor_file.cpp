#include "harness/tensor_file/tensor_file.h"

#include "harness/invariant/invariant.h"

#include <cstring>
#include <stdexcept>

namespace detlab {

namespace {
void put_u32(Bytes& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

class Reader {
public:
    Reader(std::span<const std::uint8_t> bytes, const std::string& origin)
        : bytes_(bytes), origin_(origin) {}
    std::uint32_t u32() {
        need(4);
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i)
            value |= static_cast<std::uint32_t>(bytes_[offset_ + i]) << (8 * i);
        offset_ += 4;
        return value;
    }
    std::span<const std::uint8_t> take(std::size_t count) {
        need(count);
        auto part = bytes_.subspan(offset_, count);
        offset_ += count;
        return part;
    }
    bool at_end() const { return offset_ == bytes_.size(); }
    [[noreturn]] void fail(const std::string& problem) const {
        throw std::runtime_error(origin_ + ": byte " + std::to_string(offset_) + ": " + problem);
    }

private:
    void need(std::size_t count) const {
        if (bytes_.size() - offset_ < count)
            fail("truncated (needs " + std::to_string(count) + " more bytes)");
    }
    std::span<const std::uint8_t> bytes_;
    std::string origin_;
    std::size_t offset_ = 0;
};
} // namespace

Bytes encode_tensors(const std::vector<Tensor>& tensors) {
    Bytes out{'D', 'L', 'T', 'N'};
    put_u32(out, 1);
    put_u32(out, static_cast<std::uint32_t>(tensors.size()));
    for (const auto& tensor : tensors) {
        std::size_t count = 1;
        for (auto dim : tensor.shape)
            count *= dim;
        DETLAB_ASSERT(count == tensor.values.size(),
                      "tensor " + tensor.name + ": shape does not match values");
        put_u32(out, static_cast<std::uint32_t>(tensor.name.size()));
        out.insert(out.end(), tensor.name.begin(), tensor.name.end());
        put_u32(out, static_cast<std::uint32_t>(tensor.shape.size()));
        for (auto dim : tensor.shape)
            put_u32(out, dim);
        for (float value : tensor.values) {
            std::uint32_t bits;
            std::memcpy(&bits, &value, sizeof bits);
            put_u32(out, bits);
        }
    }
    return out;
}

std::vector<Tensor> decode_tensors(std::span<const std::uint8_t> bytes, const std::string& origin) {
    Reader in(bytes, origin);
    auto magic = in.take(4);
    if (std::string(magic.begin(), magic.end()) != "DLTN")
        in.fail("not a detlab tensor file (bad magic)");
    if (auto version = in.u32(); version != 1)
        in.fail("unsupported version " + std::to_string(version));
    std::uint32_t count = in.u32();
    std::vector<Tensor> tensors;
    for (std::uint32_t t = 0; t < count; ++t) {
        Tensor tensor;
        auto name = in.take(in.u32());
        tensor.name.assign(name.begin(), name.end());
        std::uint32_t rank = in.u32();
        if (rank > 8)
            in.fail("tensor " + tensor.name + " has implausible rank " + std::to_string(rank));
        // Checked before each multiplication: a product that wrapped around (found by fuzzing)
        // gave a tensor whose shape claimed far more values than it held.
        std::size_t elements = 1;
        for (std::uint32_t d = 0; d < rank; ++d) {
            std::uint32_t dim = in.u32();
            tensor.shape.push_back(dim);
            if (dim != 0 && elements > bytes.size() / dim)
                in.fail("tensor " + tensor.name + " claims more values than the file holds");
            elements *= dim;
        }
        tensor.values.resize(elements);
        for (auto& value : tensor.values) {
            std::uint32_t bits = in.u32();
            std::memcpy(&value, &bits, sizeof bits);
        }
        tensors.push_back(std::move(tensor));
    }
    if (!in.at_end())
        in.fail("trailing bytes after the last tensor");
    return tensors;
}

} // namespace detlab
