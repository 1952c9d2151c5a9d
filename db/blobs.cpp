// The content-addressed blob store and the small cache table on top of it.
#include "db/internal.h"

#include <algorithm>
#include <memory>
#include <new>
#include <zstd.h>

namespace detlab::db {
namespace {

constexpr const char* kCodec = "zstd";
// Level 3 (zstd's default) already shrinks bitstreams and logs several-fold; higher levels
// cost far more time than they save space here.
constexpr int kZstdLevel = 3;
// Decoding starts with a small buffer and doubles it as zstd delivers, so a stated size that
// lies costs what the frame really holds, not what it claims.
constexpr std::size_t kFirstChunk = std::size_t{1} << 16;
// zstd's own default limit for decoders (2^27 = 128 MiB window); our frames at level 3 use far
// less. A frame asking for more is refused rather than allocated.
constexpr int kMaxWindowLog = 27;

BlobCorrupt corrupt(const std::string& sha256, const std::string& problem) {
    return BlobCorrupt("blob " + sha256 + ": " + problem);
}

// Streams the frame into a buffer that grows with what zstd really produces (never beyond
// `size`), so a frame without a content size, or one that decodes to more than it claims, costs
// at most `size` bytes and is refused as soon as it passes that.
Bytes decompress_capped(const std::string& sha256, std::size_t size, const void* data,
                        std::size_t data_size) {
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!context)
        throw std::bad_alloc();
    // The window a frame asks for is allocated by zstd itself: cap it too.
    ZSTD_DCtx_setParameter(context.get(), ZSTD_d_windowLogMax, kMaxWindowLog);
    Bytes bytes(std::min(size, kFirstChunk));
    ZSTD_inBuffer in{data, data_size, 0};
    std::size_t produced = 0;
    for (;;) {
        if (produced == bytes.size() && produced < size)
            bytes.resize(std::min(size, bytes.size() * 2));
        // Once `size` bytes are out, one more byte of output proves the frame lied.
        std::uint8_t overflow = 0;
        bool full = produced == bytes.size();
        ZSTD_outBuffer out =
            full ? ZSTD_outBuffer{&overflow, 1, 0}
                 : ZSTD_outBuffer{bytes.data() + produced, bytes.size() - produced, 0};
        std::size_t consumed_before = in.pos;
        std::size_t status = ZSTD_decompressStream(context.get(), &out, &in);
        if (ZSTD_isError(status))
            throw corrupt(sha256, std::string("cannot decompress: ") + ZSTD_getErrorName(status));
        if (full && out.pos > 0)
            throw corrupt(sha256, "decompresses to more than its stated size of " +
                                      std::to_string(size) + " bytes");
        if (!full)
            produced += out.pos;
        if (status == 0) // the frame is complete and flushed
            break;
        if (out.pos == 0 && in.pos == consumed_before)
            throw corrupt(sha256, "the zstd frame is cut short");
    }
    if (in.pos != in.size)
        throw corrupt(sha256, "data after the end of the zstd frame");
    if (produced != size)
        throw corrupt(sha256, "decompressed to " + std::to_string(produced) + " bytes, expected " +
                                  std::to_string(size));
    return bytes;
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
    // Everything below is checked before a byte is allocated: the stored size and the frame's
    // own claim are only claims, and a hostile store must not cost more than kMaxBlobBytes.
    if (static_cast<std::uint64_t>(size) > kMaxBlobBytes)
        throw corrupt(sha256, "its stated size " + std::to_string(size) +
                                  " bytes exceeds detlab's limit of " +
                                  std::to_string(kMaxBlobBytes) + " bytes for one artifact");
    unsigned long long framed = ZSTD_getFrameContentSize(data, data_size);
    if (framed == ZSTD_CONTENTSIZE_ERROR)
        throw corrupt(sha256, "not a zstd frame");
    if (framed != ZSTD_CONTENTSIZE_UNKNOWN && framed != static_cast<std::uint64_t>(size))
        throw corrupt(sha256, "its zstd frame says " + std::to_string(framed) +
                                  " bytes, the store says " + std::to_string(size));
    Bytes bytes = decompress_capped(sha256, static_cast<std::size_t>(size), data, data_size);
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
    internal::guard_write(path_, [&] {
        auto transaction = internal::write_transaction(*db_);
        internal::insert_blob(*db_, blob);
        transaction.commit();
    });
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
    } catch (const std::out_of_range& error) { // a store edited without its foreign keys
        throw BlobCorrupt("run " + run_id + ": " + name + " is missing (" + error.what() + ")");
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
    internal::guard_write(path_, [&] {
        auto transaction = internal::write_transaction(*db_);
        SQLite::Statement insert(*db_, "INSERT OR REPLACE INTO cache (key, sha256, created_at) "
                                       "VALUES (?, ?, ?)");
        insert.bind(1, key);
        insert.bind(2, sha256);
        insert.bind(3, unix_time_now());
        insert.exec(); // the foreign key refuses a sha256 that is not a stored blob
        transaction.commit();
    });
}

} // namespace detlab::db
