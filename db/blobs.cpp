// The content-addressed blob store and the small cache table on top of it.
#include "db/internal.h"

#include <zstd.h>

namespace detlab::db {
namespace {

constexpr const char* kCodec = "zstd";
// Level 3 (zstd's default) already shrinks bitstreams and logs several-fold; higher levels
// cost far more time than they save space here.
constexpr int kZstdLevel = 3;

BlobCorrupt corrupt(const std::string& sha256, const std::string& problem) {
    return BlobCorrupt("blob " + sha256 + ": " + problem);
}

} // namespace

internal::EncodedBlob internal::encode_blob(std::span<const std::uint8_t> bytes) {
    EncodedBlob blob;
    blob.sha256 = sha256_hex(bytes);
    blob.size = static_cast<std::int64_t>(bytes.size());
    blob.data.resize(ZSTD_compressBound(bytes.size()));
    std::size_t written =
        ZSTD_compress(blob.data.data(), blob.data.size(), bytes.data(), bytes.size(), kZstdLevel);
    if (ZSTD_isError(written))
        throw std::runtime_error(std::string("zstd compression failed: ") +
                                 ZSTD_getErrorName(written));
    blob.data.resize(written);
    return blob;
}

Bytes internal::decode_blob(const std::string& sha256, std::int64_t size, const std::string& codec,
                            const void* data, std::size_t data_size) {
    if (codec != kCodec)
        throw corrupt(sha256, "unknown codec '" + codec + "'");
    if (size < 0)
        throw corrupt(sha256, "negative size");
    Bytes bytes(static_cast<std::size_t>(size));
    std::size_t produced = ZSTD_decompress(bytes.data(), bytes.size(), data, data_size);
    if (ZSTD_isError(produced))
        throw corrupt(sha256, std::string("cannot decompress: ") + ZSTD_getErrorName(produced));
    if (produced != bytes.size())
        throw corrupt(sha256, "decompressed to " + std::to_string(produced) + " bytes, expected " +
                                  std::to_string(size));
    if (auto actual = sha256_hex(bytes); actual != sha256)
        throw corrupt(sha256, "content hashes to " + actual);
    return bytes;
}

bool internal::insert_blob(SQLite::Database& db, const EncodedBlob& blob) {
    SQLite::Statement insert(db, "INSERT OR IGNORE INTO blobs (sha256, size, codec, data) "
                                 "VALUES (?, ?, ?, ?)");
    insert.bind(1, blob.sha256);
    insert.bind(2, blob.size);
    insert.bind(3, kCodec);
    insert.bind(4, blob.data.data(), static_cast<int>(blob.data.size()));
    return insert.exec() > 0;
}

std::string Store::put_blob(std::span<const std::uint8_t> bytes) {
    auto blob = internal::encode_blob(bytes);
    auto transaction = internal::write_transaction(*db_);
    internal::insert_blob(*db_, blob);
    transaction.commit();
    return blob.sha256;
}

Bytes Store::get_blob(const std::string& sha256) const {
    SQLite::Statement query(*db_, "SELECT size, codec, data FROM blobs WHERE sha256 = ?");
    query.bind(1, sha256);
    if (!query.executeStep())
        throw std::out_of_range("blob " + sha256 + " is not in " + path_.string());
    auto data = query.getColumn(2);
    return internal::decode_blob(sha256, query.getColumn(0).getInt64(),
                                 query.getColumn(1).getString(), data.getBlob(),
                                 static_cast<std::size_t>(data.getBytes()));
}

std::optional<Bytes> Store::artifact_bytes(const std::string& run_id,
                                           const std::string& name) const {
    SQLite::Statement query(*db_, "SELECT sha256 FROM artifacts WHERE run_id = ? AND name = ?");
    query.bind(1, run_id);
    query.bind(2, name);
    if (!query.executeStep())
        return std::nullopt;
    try {
        return get_blob(query.getColumn(0).getString());
    } catch (const BlobCorrupt& error) { // say whose data it is: a blob name alone tells little
        throw BlobCorrupt("run " + run_id + ": " + name + " is damaged (" + error.what() + ")");
    }
}

std::optional<std::string> Store::cache_lookup(const std::string& key) const {
    SQLite::Statement query(*db_, "SELECT sha256 FROM cache WHERE key = ?");
    query.bind(1, key);
    if (!query.executeStep())
        return std::nullopt;
    return query.getColumn(0).getString();
}

void Store::cache_store(const std::string& key, const std::string& sha256) {
    auto transaction = internal::write_transaction(*db_);
    SQLite::Statement insert(*db_, "INSERT OR REPLACE INTO cache (key, sha256, created_at) "
                                   "VALUES (?, ?, ?)");
    insert.bind(1, key);
    insert.bind(2, sha256);
    insert.bind(3, unix_time_now());
    insert.exec(); // the foreign key refuses a sha256 that is not a stored blob
    transaction.commit();
}

} // namespace detlab::db
