// What can go wrong with a store that is not the user's input: a damaged blob, or a machine that
// cannot take the write (disk full, lock held, I/O). Part of db/store.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace detlab::db {

// The largest artifact detlab stores or reads back (256 MiB). A blob whose stated size or zstd
// frame claims more is damaged data, refused before any allocation, so a hostile store costs at
// most this much memory per blob read (decoding grows its buffer with what zstd really delivers,
// so a size that lies costs only the real bytes). Tool logs are capped far below it.
inline constexpr std::uint64_t kMaxBlobBytes = std::uint64_t{256} << 20;

// Thrown when a blob's bytes do not hash to its name, its stated size is beyond kMaxBlobBytes
// or disagrees with its zstd frame; the message names the blob.
class BlobCorrupt : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The machine, not the run: the store could not be written because its disk is full, another
// writer held the lock past the busy timeout, or the file system failed (SQLITE_FULL, BUSY,
// LOCKED, IOERR, CANTOPEN). Nothing of the write is kept (the transaction rolled back). A sweep
// leaves such a run to be redone and counts it apart; it is never the configuration's failure.
class StoreUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bytes that must be free on the store's file system (and the work root's) before a sweep
// starts a run: below it the run would only fill the disk and could not be recorded.
inline constexpr std::uint64_t kMinFreeBytes = std::uint64_t{16} << 20;
// Free bytes on the file system holding `path` (a file or directory; its folder when the file
// does not exist yet); nullopt when it cannot be asked.
std::optional<std::uint64_t> free_bytes(const std::filesystem::path& path);

} // namespace detlab::db
