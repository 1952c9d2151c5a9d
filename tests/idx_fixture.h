// IDX files (the MNIST / Fashion-MNIST format) made by tests: a data set of the test's own.
#pragma once

#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace detlab::testing {

// Big-endian magic (0x803 images, 0x801 labels), the dimensions, then `payload` bytes whose
// i-th value is (i * 7919) % modulo: varied pixels, or labels below 10 with modulo 10.
inline Bytes idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& dims,
                       std::size_t payload, int modulo) {
    Bytes bytes;
    auto put = [&](std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
            bytes.push_back(static_cast<std::uint8_t>(v >> shift));
    };
    put(magic);
    for (auto d : dims)
        put(d);
    for (std::size_t i = 0; i < payload; ++i)
        bytes.push_back(static_cast<std::uint8_t>((i * 7919) % static_cast<std::size_t>(modulo)));
    return bytes;
}

// The four Fashion-MNIST files in `dir`: `train` and `test` 28x28 images with their labels.
inline void write_fashion_mnist(const std::filesystem::path& dir, std::uint32_t train,
                                std::uint32_t test) {
    std::filesystem::create_directories(dir);
    write_file(dir / "train-images-idx3-ubyte",
               idx_bytes(0x803, {train, 28, 28}, train * 784, 256));
    write_file(dir / "train-labels-idx1-ubyte", idx_bytes(0x801, {train}, train, 10));
    write_file(dir / "t10k-images-idx3-ubyte", idx_bytes(0x803, {test, 28, 28}, test * 784, 256));
    write_file(dir / "t10k-labels-idx1-ubyte", idx_bytes(0x801, {test}, test, 10));
}

} // namespace detlab::testing
