// .npy files written byte by byte, so the reader's tests control every field of the header.
#pragma once

#include "harness/util/util.h"

#include <cstring>
#include <string>
#include <vector>

namespace detlab::testing {

// A format 1.0 file: magic, version, header padded to 64 bytes with '\n' last, then `data`.
inline Bytes npy_file(const std::string& dict, const Bytes& data, int major = 1) {
    std::string header = dict;
    std::size_t preamble = major == 1 ? 10 : 12;
    while ((preamble + header.size() + 1) % 64 != 0)
        header += ' ';
    header += '\n';
    Bytes bytes{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
    auto length = header.size();
    bytes.push_back(static_cast<std::uint8_t>(length & 0xff));
    bytes.push_back(static_cast<std::uint8_t>(length >> 8));
    if (major != 1) {
        bytes.push_back(0);
        bytes.push_back(0);
    }
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

inline Bytes float_bytes(const std::vector<float>& values) {
    Bytes bytes(values.size() * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

} // namespace detlab::testing
