// Opening, schema migration and writing runs.
#include "db/internal.h"
#include "db/schema_sql.h"
#include "harness/invariant/invariant.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <mutex>
#include <random>
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
    if (found == 0)
        refuse_foreign_database(db, path);
    for (int step = found; step < target; ++step)
        db.exec(steps[static_cast<std::size_t>(step)]);
    if (found > 0 && found < 3)
        fill_legacy_config_ids(db);
    db.exec("PRAGMA user_version = " + std::to_string(target));
    transaction.commit();
}

void insert_run_row(SQLite::Database& db, const RunResult& run, int repeat) {
    SQLite::Statement insert(db, "INSERT INTO runs (id, experiment, kind, config, repeat, status, "
                                 "message, started_at, wall_seconds, host, recorded_at, config_id) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, run.id);
    insert.bind(2, run.experiment.empty() ? std::string("adhoc") : run.experiment);
    insert.bind(3, run.kind);
    insert.bind(4, run.config_json);
    insert.bind(5, repeat);
    insert.bind(6, run.status);
    insert.bind(7, run.message);
    insert.bind(8, run.started_at);
    insert.bind(9, run.wall_seconds);
    insert.bind(10, run.host);
    insert.bind(11, unix_time_now());
    insert.bind(12, run.config_id.empty() ? configuration_id(run.kind, run.config_json)
                                          : run.config_id);
    insert.exec();
}

void insert_pairs(SQLite::Database& db, const char* table, const std::string& run_id,
                  const auto& pairs) {
    // Later values win, so add_param("k", ...) twice keeps the last one.
    SQLite::Statement insert(db, std::string("INSERT OR REPLACE INTO ") + table +
                                     " (run_id, key, value) VALUES (?, ?, ?)");
    for (const auto& [key, value] : pairs) {
        insert.bind(1, run_id);
        insert.bind(2, key);
        insert.bind(3, value);
        insert.exec();
        insert.reset();
    }
}

void insert_metrics(SQLite::Database& db, const RunResult& run) {
    SQLite::Statement insert(db, "INSERT OR REPLACE INTO metrics (run_id, key, step, value) "
                                 "VALUES (?, ?, ?, ?)");
    for (const auto& metric : run.metrics) {
        insert.bind(1, run.id);
        insert.bind(2, metric.key);
        insert.bind(3, metric.step);
        insert.bind(4, metric.value); // NaN binds as NULL
        insert.exec();
        insert.reset();
    }
}

// A blob detlab could not read back (beyond kMaxBlobBytes) is never written.
internal::EncodedBlob encode_artifact(const std::string& run_id, const Artifact& artifact) {
    if (artifact.bytes.size() > kMaxBlobBytes)
        throw std::length_error("run " + run_id + ": artifact " + artifact.name + " is " +
                                std::to_string(artifact.bytes.size()) +
                                " bytes, more than detlab's limit of " +
                                std::to_string(kMaxBlobBytes) + " bytes for one artifact");
    return internal::encode_blob(artifact.bytes);
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

void RunResult::add_param(std::string key, std::string value) {
    params.emplace_back(std::move(key), std::move(value));
}
void RunResult::add_metric(std::string key, double value, std::int64_t step) {
    metrics.push_back({std::move(key), value, step});
}
void RunResult::add_artifact(std::string name, Bytes bytes) {
    artifacts.push_back({std::move(name), std::move(bytes)});
}
void RunResult::add_artifact(std::string name, std::string_view text) {
    artifacts.push_back({std::move(name), Bytes(text.begin(), text.end())});
}
const Artifact* RunResult::find_artifact(std::string_view name) const {
    for (const auto& artifact : artifacts)
        if (artifact.name == name)
            return &artifact;
    return nullptr;
}
std::optional<double> RunResult::metric(std::string_view key) const {
    const Metric* last = nullptr;
    for (const auto& m : metrics)
        if (m.key == key && (!last || m.step >= last->step))
            last = &m;
    return last ? std::optional<double>(last->value) : std::nullopt;
}

std::string run_id(const std::string& kind, const std::string& canonical_config_json, int repeat) {
    std::string text = kind + "\n" + canonical_config_json + "\n" + std::to_string(repeat);
    return sha256_hex(std::string_view(text)).substr(0, 16);
}

std::string new_observation_id() {
    static std::mutex mutex;
    static std::random_device entropy;
    static std::uint64_t counter = 0;
    // Appends one part at a time: GCC 12 warns falsely (-Wrestrict) about `":" + std::string`.
    std::vector<std::string> parts;
    {
        std::lock_guard lock(mutex);
        for (int i = 0; i < 4; ++i)
            parts.push_back(std::to_string(entropy()));
        parts.push_back(std::to_string(++counter));
    }
    parts.push_back(std::to_string(::getpid()));
    parts.push_back(std::to_string(monotonic_seconds()));
    parts.push_back(std::to_string(unix_time_now()));
    std::string material;
    for (const auto& part : parts) {
        material.append(part);
        material.push_back(':');
    }
    return sha256_hex(std::string_view(material)).substr(0, 16);
}

std::string configuration_id(const std::string& kind, const std::string& identity_json,
                             const InputDigests& inputs) {
    std::string text = "detlab configuration v1\n";
    for (const std::string* part : {&kind, &identity_json}) {
        text.append(*part);
        text.push_back('\n');
    }
    auto sorted = inputs;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [name, sha] : sorted) {
        text.append(name);
        text.push_back(' ');
        text.append(sha);
        text.push_back('\n');
    }
    std::string id = "c";
    id.append(sha256_hex(std::string_view(text)), 0, 16);
    return id;
}

double StoreInfo::dedup_ratio() const {
    return blob_raw_bytes > 0
               ? static_cast<double>(artifact_raw_bytes) / static_cast<double>(blob_raw_bytes)
               : 1.0;
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
        int version = user_version(*db_);
        bool has_runs = db_->execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'runs' "
                                        "AND type = 'table'")
                            .getInt() > 0;
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

SQLite::Database& Store::database() const {
    return *db_;
}

void Store::put_experiment(const std::string& name, const std::string& source_text) {
    internal::guard_write(path_, [&] {
        auto transaction = write_transaction(*db_);
        SQLite::Statement upsert(*db_, "INSERT INTO experiments (name, source, created_at) "
                                       "VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                                       "source = excluded.source");
        upsert.bind(1, name);
        upsert.bind(2, source_text);
        upsert.bind(3, unix_time_now());
        upsert.exec();
        transaction.commit();
    });
}

namespace {
// The whole run in one BEGIN IMMEDIATE transaction, under run.repeat or, when `chosen_repeat` is
// given, under the next free repeat of its (experiment, configuration): chosen after the write
// lock is taken, so no other writer can choose the same one in between (issue 28).
void write_run(SQLite::Database& db, const fs::path& path, const RunResult& run,
               int* chosen_repeat) {
    DETLAB_ASSERT(!run.id.empty() && !run.kind.empty(), "record_run: a run needs an id and a kind");
    DETLAB_ASSERT(run.status == kStatusDone || run.status == kStatusFailed ||
                      run.status == kStatusTimeout,
                  "record_run: run " + run.id + " has unknown status '" + run.status + "'");
    std::vector<std::pair<std::string, internal::EncodedBlob>> blobs;
    blobs.reserve(run.artifacts.size());
    for (const auto& artifact : run.artifacts)
        blobs.emplace_back(artifact.name, encode_artifact(run.id, artifact));

    internal::guard_write(path, [&] {
        auto transaction = write_transaction(db);
        SQLite::Statement existing(db, "SELECT 1 FROM runs WHERE id = ?");
        existing.bind(1, run.id);
        // Ids are fresh random numbers (observation::start_record): a second record is a bug.
        DETLAB_ASSERT(!existing.executeStep(), "record_run: observation " + run.id +
                                                   " is already stored; an observation is "
                                                   "never replaced");
        int repeat = run.repeat;
        if (chosen_repeat) {
            SQLite::Statement next(db, "SELECT coalesce(max(repeat) + 1, 0) FROM runs "
                                       "WHERE experiment = ? AND config_id = ?");
            next.bind(1, run.experiment.empty() ? std::string("adhoc") : run.experiment);
            next.bind(2, run.config_id.empty() ? configuration_id(run.kind, run.config_json)
                                               : run.config_id);
            next.executeStep();
            repeat = next.getColumn(0).getInt();
        }
        insert_run_row(db, run, repeat);
        insert_pairs(db, "params", run.id, run.params);
        insert_metrics(db, run);
        insert_pairs(db, "provenance", run.id, run.provenance);
        SQLite::Statement link(db, "INSERT OR REPLACE INTO artifacts (run_id, name, sha256) "
                                   "VALUES (?, ?, ?)");
        for (const auto& [name, blob] : blobs) {
            internal::insert_blob(db, blob);
            link.bind(1, run.id);
            link.bind(2, name);
            link.bind(3, blob.sha256);
            link.exec();
            link.reset();
        }
        transaction.commit();
        if (chosen_repeat)
            *chosen_repeat = repeat;
    });
}
} // namespace

void Store::record_run(const RunResult& run) {
    write_run(*db_, path_, run, nullptr);
}

int Store::record_run_next_repeat(RunResult& run) {
    int repeat = 0;
    write_run(*db_, path_, run, &repeat);
    run.repeat = repeat;
    return repeat;
}

namespace {
bool is_primary_key_conflict(const SQLite::Exception& error) {
    return error.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY;
}
} // namespace

void Store::annotate_run(const std::string& id, const RunResult& extra) {
    std::vector<std::pair<std::string, internal::EncodedBlob>> blobs;
    for (const auto& artifact : extra.artifacts)
        blobs.emplace_back(artifact.name, encode_artifact(id, artifact));
    internal::guard_write(path_, [&] {
        auto transaction = write_transaction(*db_);
        SQLite::Statement exists(*db_, "SELECT 1 FROM runs WHERE id = ?");
        exists.bind(1, id);
        DETLAB_ASSERT(exists.executeStep(), "annotate_run: no observation " + id);
        SQLite::Statement metric(*db_, "INSERT INTO metrics (run_id, key, step, value) "
                                       "VALUES (?, ?, ?, ?)");
        for (const auto& m : extra.metrics) {
            metric.bind(1, id);
            metric.bind(2, m.key);
            metric.bind(3, m.step);
            metric.bind(4, m.value);
            try {
                metric.exec();
            } catch (const SQLite::Exception& error) {
                // Only the primary key's conflict means "already there"; anything else (busy,
                // full, I/O) propagates as it is, and guard_write maps the machine's failures.
                if (!is_primary_key_conflict(error))
                    throw;
                throw std::logic_error("annotate_run: run " + id + " already has metric " + m.key);
            }
            metric.reset();
        }
        SQLite::Statement link(*db_,
                               "INSERT INTO artifacts (run_id, name, sha256) VALUES (?, ?, ?)");
        for (const auto& [name, blob] : blobs) {
            internal::insert_blob(*db_, blob);
            link.bind(1, id);
            link.bind(2, name);
            link.bind(3, blob.sha256);
            try {
                link.exec();
            } catch (const SQLite::Exception& error) {
                if (!is_primary_key_conflict(error))
                    throw;
                throw std::logic_error("annotate_run: run " + id + " already has artifact " + name);
            }
            link.reset();
        }
        if (!extra.message.empty()) {
            SQLite::Statement message(*db_,
                                      "UPDATE runs SET message = CASE WHEN message = '' THEN ?1 "
                                      "ELSE message || char(10) || ?1 END WHERE id = ?2");
            message.bind(1, extra.message);
            message.bind(2, id);
            message.exec();
        }
        transaction.commit();
    });
}

} // namespace detlab::db
