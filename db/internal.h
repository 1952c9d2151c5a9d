// Private helpers shared by the db module's .cpp files.
#pragma once

#include "db/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <span>
#include <string>

namespace detlab::db::internal {

// A blob ready to insert: hashed and compressed outside any transaction, so the write lock is
// held only for the INSERT itself.
struct EncodedBlob {
    std::string sha256;
    std::int64_t size = 0;
    std::vector<char> data; // zstd frame
};

EncodedBlob encode_blob(std::span<const std::uint8_t> bytes);

// Decompresses and re-hashes; throws BlobCorrupt naming `sha256` on any mismatch.
Bytes decode_blob(const std::string& sha256, std::int64_t size, const std::string& codec,
                  const void* data, std::size_t data_size);

// Refuses (InputError naming `path`) a store in schema `schema` ("main" or an attached "src")
// whose detlab tables are views or virtual tables, or that holds triggers: a view can recurse
// without end and a trigger runs its own SQL on detlab's writes. Other views are left alone
// (detlab never reads them). Reads only sqlite_master, which cannot recurse.
void refuse_hostile_schema(SQLite::Database& db, const std::string& schema,
                           const std::filesystem::path& path);

// INSERT OR IGNORE; true when the blob was new.
bool insert_blob(SQLite::Database& db, const EncodedBlob& blob);

void rethrow_if_machine(const SQLite::Exception& error, const std::filesystem::path& path);
// Runs `write`; a SQLite error that is the machine's (disk full, lock held, I/O) is rethrown as
// StoreUnavailable naming the store, any other passes unchanged.
template <typename Write>
auto guard_write(const std::filesystem::path& path, Write&& write) {
    try {
        return write();
    } catch (const SQLite::Exception& error) {
        rethrow_if_machine(error, path);
        throw;
    }
}
// Every write goes through BEGIN IMMEDIATE: the write lock is taken up front, so a reader
// never has to upgrade (which SQLite may refuse with SQLITE_BUSY without waiting).
inline SQLite::Transaction write_transaction(SQLite::Database& db) {
    return SQLite::Transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
}

} // namespace detlab::db::internal
