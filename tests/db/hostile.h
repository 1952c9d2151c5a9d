// Hostile stores for the tests: blobs whose stated size lies, zstd bombs, schema objects that
// are not detlab's. Each is made by editing a real store with SQL, as an attacker would.
#pragma once

#include "db/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <cstdint>
#include <string>
#include <vector>

namespace detlab::test {

// SHA-256 of 2^31 zero bytes (the content of the bomb below): a fixture, computed once with
// Python's hashlib, so the bomb carries its correct name and size like the one the issue found.
inline constexpr const char* kZeros2GiBSha256 =
    "a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51";
inline constexpr std::uint64_t k2GiB = std::uint64_t{1} << 31;

// A valid zstd frame of `total` zero bytes built from RLE blocks (4 bytes per 128 KiB): 2 GiB in
// 64 KiB. With `state_size` the frame header carries the content size, as libzstd writes it;
// without, only decoding finds out how much comes out.
inline std::vector<char> zstd_zero_bomb(std::uint64_t total, bool state_size) {
    constexpr std::uint32_t kBlock = 128 * 1024;
    std::vector<char> frame = {'\x28', '\xb5', '\x2f', '\xfd'}; // magic 0xFD2FB528
    frame.push_back(state_size ? '\xc0' : '\x00'); // 8-byte content size, or none; no checksum
    frame.push_back('\x38');                       // window 2^17 (exponent 7 + 10)
    if (state_size)
        for (int i = 0; i < 8; ++i)
            frame.push_back(static_cast<char>((total >> (8 * i)) & 0xff));
    for (std::uint64_t done = 0; done < total; done += kBlock) {
        std::uint64_t length = std::min<std::uint64_t>(kBlock, total - done);
        bool last = done + length >= total;
        std::uint32_t header = static_cast<std::uint32_t>(length << 3) | (1u << 1) | (last ? 1 : 0);
        for (int i = 0; i < 3; ++i)
            frame.push_back(static_cast<char>((header >> (8 * i)) & 0xff));
        frame.push_back('\0'); // the byte the block repeats
    }
    return frame;
}

// Points artifact `name` of run `run_id` at a new blob row with the given name, size and data.
inline void plant_blob(SQLite::Database& db, const std::string& run_id, const std::string& name,
                       const std::string& sha256, std::int64_t size,
                       const std::vector<char>& data) {
    SQLite::Statement blob(db, "INSERT OR REPLACE INTO blobs (sha256, size, codec, data) "
                               "VALUES (?, ?, 'zstd', ?)");
    blob.bind(1, sha256);
    blob.bind(2, size);
    blob.bind(3, data.data(), static_cast<int>(data.size()));
    blob.exec();
    SQLite::Statement link(db, "UPDATE artifacts SET sha256 = ? WHERE run_id = ? AND name = ?");
    link.bind(1, sha256);
    link.bind(2, run_id);
    link.bind(3, name);
    link.exec();
}

// Sets the stated size of the blob that artifact `name` of `run_id` points at.
inline void state_size(SQLite::Database& db, const std::string& run_id, const std::string& name,
                       std::int64_t size) {
    SQLite::Statement update(db, "UPDATE blobs SET size = ? WHERE sha256 = "
                                 "(SELECT sha256 FROM artifacts WHERE run_id = ? AND name = ?)");
    update.bind(1, size);
    update.bind(2, run_id);
    update.bind(3, name);
    update.exec();
}

} // namespace detlab::test
