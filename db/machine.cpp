// Failures of the machine rather than of a run: a full disk, a lock held too long, I/O errors.
#include "db/internal.h"

#include <sqlite3.h>
#include <sys/statvfs.h>

namespace detlab::db {

void internal::rethrow_if_machine(const SQLite::Exception& error,
                                  const std::filesystem::path& path) {
    switch (error.getErrorCode() & 0xff) { // the primary code of an extended one
    case SQLITE_FULL:
        throw StoreUnavailable(path.string() + ": the disk is full (" + error.what() + ")");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw StoreUnavailable(path.string() +
                               ": another writer held the lock past the busy "
                               "timeout (" +
                               error.what() + ")");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        throw StoreUnavailable(path.string() + ": the file system failed (" + error.what() + ")");
    default:
        return;
    }
}

std::optional<std::uint64_t> free_bytes(const std::filesystem::path& path) {
    std::error_code error;
    auto probe = std::filesystem::exists(path, error) ? path : path.parent_path();
    if (probe.empty())
        probe = ".";
    struct statvfs info {};
    if (::statvfs(probe.c_str(), &info) != 0)
        return std::nullopt;
    return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

} // namespace detlab::db
