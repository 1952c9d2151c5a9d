// Opening a store: the checks on its path and file, WAL mode, and the schema's migrations.
#include "db/internal.h"
#include "db/schema_sql.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace detlab::db {
namespace fs = std::filesystem;
using internal::write_transaction;

namespace {

constexpr int kBusyTimeoutMs = 60'000;

std::string input_error(const fs::path& path, const std::string& problem) {
    return path.string() + ": " + problem;
}

bool writable_by_anyone(const struct stat& info) {
    return (info.st_mode & 0222) != 0;
}

// Everything that makes a path unusable is found here, before SQLite creates or changes a byte.
// Root passes access(W_OK) on any file, so a file with no write bit at all counts as read-only.
void check_path_usable(const fs::path& path) {
    fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    struct stat info {};
    if (::stat(directory.c_str(), &info) != 0)
        throw InputError(input_error(path, "directory " + directory.string() + " does not exist"));
    if (!S_ISDIR(info.st_mode))
        throw InputError(input_error(path, directory.string() + " is not a directory"));
    if (::access(directory.c_str(), W_OK) != 0)
        throw InputError(input_error(path, "directory " + directory.string() +
                                               " is not writable (SQLite needs its WAL files)"));
    if (::stat(path.c_str(), &info) != 0)
        return; // a new database
    if (!S_ISREG(info.st_mode))
        throw InputError(input_error(path, "not a regular file"));
    if (::access(path.c_str(), R_OK | W_OK) != 0 || !writable_by_anyone(info))
        throw InputError(input_error(path, "file is read-only"));
    if (info.st_size == 0)
        return; // an empty file becomes a new database
    // No header check here: opening and closing the file in this process would drop the POSIX
    // locks of every other connection the process has on it (fcntl locks are per process and
    // inode), and another process could then delete the live WAL. SQLite itself reports a
    // wrong header as SQLITE_NOTADB on the first read (see Store::Store).
}

int user_version(SQLite::Database& db) {
    return db.execAndGet("PRAGMA user_version").getInt();
}

// Switching to WAL needs a moment of exclusive access; when several processes open a new file
// at once the busy handler is not always consulted, so retry for the busy-timeout period.
void enable_wal(SQLite::Database& db) {
    double deadline = monotonic_seconds() + kBusyTimeoutMs / 1000.0;
    for (;;) {
        try {
            // One statement at a time: a still-open read keeps a transaction alive.
            std::string mode = db.execAndGet("PRAGMA journal_mode").getString();
            if (mode != "wal")
                mode = db.execAndGet("PRAGMA journal_mode=WAL").getString();
            if (mode == "wal")
                return;
        } catch (const SQLite::Exception& e) {
            if (e.getErrorCode() != SQLITE_BUSY && e.getErrorCode() != SQLITE_LOCKED)
                throw;
        }
        if (monotonic_seconds() > deadline)
            throw std::runtime_error("cannot switch " + db.getFilename() + " to WAL mode");
        ::usleep(20'000);
    }
}

// Any object at all (a table, a view, a trigger, an index) makes a file someone else's: a file
// holding only views must not get detlab's tables created beside them.
void refuse_foreign_database(SQLite::Database& db, const fs::path& path) {
    SQLite::Statement objects(db, "SELECT type, name FROM sqlite_master "
                                  "WHERE name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 3");
    std::string names;
    while (objects.executeStep())
        names += (names.empty() ? "" : ", ") + objects.getColumn(0).getString() + " " +
                 terminal_safe(objects.getColumn(1).getString());
    if (!names.empty())
        throw InputError(
            input_error(path, "a SQLite database but not a detlab store (it has " + names + ")"));
}

// Runs from before step 3 recorded no input digests, so their identity can only come from their
// configuration text: equal configurations share it, but it never equals a new-style identity,
// so a resume runs them again rather than trusting inputs that may have changed since.
void fill_legacy_config_ids(SQLite::Database& db) {
    SQLite::Statement legacy(db, "SELECT id, kind, config FROM runs WHERE config_id = ''");
    SQLite::Statement update(db, "UPDATE runs SET config_id = ? WHERE id = ?");
    while (legacy.executeStep()) {
        std::string text = legacy.getColumn(1).getString() + "\n" + legacy.getColumn(2).getString();
        update.bind(1, "legacy-" + sha256_hex(std::string_view(text)).substr(0, 16));
        update.bind(2, legacy.getColumn(0).getString());
        update.exec();
        update.reset();
    }
}

void migrate(SQLite::Database& db, const fs::path& path) {
    auto steps = schema_steps();
    int target = static_cast<int>(steps.size());
    int found = user_version(db);
    if (found > target)
        throw InputError(input_error(path, "schema version " + std::to_string(found) +
                                               " is newer than this detlab knows (" +
                                               std::to_string(target) + "); use a newer detlab"));
    if (found == target)
        return;
    auto transaction = write_transaction(db);
    found = user_version(db); // another process may have migrated while we waited for the lock
    if (found < 0)            // set by another process since the check in Store's constructor
        throw InputError(input_error(path, "a SQLite database with user_version " +
                                               std::to_string(found) + ": not a detlab store"));
    if (found == 0)
        refuse_foreign_database(db, path);
    for (int step = found; step < target; ++step)
        db.exec(steps[static_cast<std::size_t>(step)]);
    if (found > 0 && found < 3)
        fill_legacy_config_ids(db);
    db.exec("PRAGMA user_version = " + std::to_string(target));
    transaction.commit();
}

} // namespace

std::vector<std::string> schema_steps() {
    std::string_view sql = generated::kSchemaSql;
    constexpr std::string_view marker = "\n-- step ";
    std::vector<std::string> steps;
    for (auto start = sql.find(marker); start != std::string_view::npos;) {
        auto body = sql.find('\n', start + 1);
        auto next = sql.find(marker, body);
        steps.emplace_back(sql.substr(body, next == std::string_view::npos ? next : next - body));
        start = next;
    }
    return steps;
}

int current_schema_version() {
    return static_cast<int>(schema_steps().size());
}

Store::Store(const fs::path& path) : path_(path) {
    check_path_usable(path);
    try {
        db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                                                 kBusyTimeoutMs);
        db_->exec("PRAGMA foreign_keys = ON");
        // A damaged or encrypted file with a valid header fails on its first real read.
        // Another application's database is refused here, by reading only: switching it to
        // WAL (below) would already change its file.
        // (A store another process is creating right now has our tables but no version yet.)
        // The checks read one snapshot: that process commits its whole schema at once, and
        // reads in two snapshots could see no runs table, then its other tables (issue 30:
        // "not a detlab store" for a racing writer, once in 200 runs of test_store).
        SQLite::Transaction snapshot(*db_); // deferred: reads only, rolled back when left
        int version = user_version(*db_);
        bool has_runs = db_->execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'runs' "
                                        "AND type = 'table'")
                            .getInt() > 0;
        if (version < 0) // user_version is any 32-bit integer; detlab writes only 0..current
            throw InputError(input_error(path, "a SQLite database with user_version " +
                                                   std::to_string(version) +
                                                   ": not a detlab store"));
        if (version == 0 && !has_runs)
            refuse_foreign_database(*db_, path);
        if (version > current_schema_version())
            throw InputError(input_error(path, "schema version " + std::to_string(version) +
                                                   " is newer than this detlab knows (" +
                                                   std::to_string(current_schema_version()) +
                                                   "); use a newer detlab"));
        internal::refuse_hostile_schema(*db_, "main", path);
        if (version > 0 && !has_runs)
            throw InputError(input_error(path, "a SQLite database with user_version " +
                                                   std::to_string(version) +
                                                   " but no runs table: not a detlab store"));
        snapshot.commit(); // the journal mode cannot change inside a transaction
        enable_wal(*db_);
        db_->exec("PRAGMA synchronous = NORMAL"); // durable across crashes of detlab in WAL mode
        migrate(*db_, path);
    } catch (const SQLite::Exception& e) {
        if (e.getErrorCode() == SQLITE_NOTADB)
            throw InputError(input_error(
                path, std::string("not a SQLite database (wrong file header): ") + e.what()));
        if (e.getErrorCode() == SQLITE_CORRUPT)
            throw InputError(input_error(
                path, std::string("a damaged or truncated SQLite database: ") + e.what()));
        throw std::runtime_error(input_error(path, e.what()));
    }
}

Store::~Store() = default;

int Store::schema_version() const {
    return user_version(*db_);
}

std::string Store::store_id() const {
    return db_->execAndGet("SELECT value FROM store_meta WHERE key = 'store_id'").getString();
}

SQLite::Database& Store::database() const {
    return *db_;
}

} // namespace detlab::db
