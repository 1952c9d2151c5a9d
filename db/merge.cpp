// Merging another store (a shard) into this one.
#include "db/internal.h"

#include <array>
#include <fstream>

namespace detlab::db {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRunColumns = "id, experiment, kind, config, repeat, status, message, "
                                    "started_at, wall_seconds, host, recorded_at";

void check_mergeable(const fs::path& other) {
    std::array<char, 16> header{};
    std::ifstream in(other, std::ios::binary);
    if (!in)
        throw InputError(other.string() + ": cannot open the store to merge");
    in.read(header.data(), header.size());
    if (std::string_view(header.data(), static_cast<std::size_t>(in.gcount())) !=
        std::string_view("SQLite format 3\0", 16))
        throw InputError(other.string() + ": not a SQLite database (wrong file header)");
    SQLite::Database source(other, SQLite::OPEN_READONLY);
    int version = source.execAndGet("PRAGMA user_version").getInt();
    if (version != current_schema_version())
        throw InputError(other.string() + ": schema version " + std::to_string(version) +
                         ", this store uses " + std::to_string(current_schema_version()) +
                         " (open it once with this detlab, e.g. 'detlab db info', to migrate it)");
}

// ATTACH and DETACH cannot run inside a transaction; this keeps the pair balanced on errors.
class Attached {
public:
    Attached(SQLite::Database& db, const fs::path& path) : db_(db) {
        SQLite::Statement attach(db_, "ATTACH DATABASE ? AS src");
        attach.bind(1, path.string());
        attach.exec();
    }
    ~Attached() {
        try {
            db_.exec("DETACH DATABASE src");
        } catch (...) { // a destructor must not throw; the connection closes the file anyway
        }
    }
    Attached(const Attached&) = delete;
    Attached& operator=(const Attached&) = delete;

private:
    SQLite::Database& db_;
};

// A shard's blob is verified before it enters this store, so a merge never imports damage;
// a bad blob throws BlobCorrupt and the whole merge rolls back.
void verify_incoming_blobs(SQLite::Database& db, const std::string& id) {
    SQLite::Statement incoming(db, "SELECT sha256, size, codec, data FROM src.blobs WHERE sha256 "
                                   "IN (SELECT sha256 FROM src.artifacts WHERE run_id = ?1) "
                                   "AND sha256 NOT IN (SELECT sha256 FROM main.blobs)");
    incoming.bind(1, id);
    while (incoming.executeStep()) {
        auto data = incoming.getColumn(3);
        internal::decode_blob(incoming.getColumn(0).getString(), incoming.getColumn(1).getInt64(),
                              incoming.getColumn(2).getString(), data.getBlob(),
                              static_cast<std::size_t>(data.getBytes()));
    }
}

std::int64_t copy_run(SQLite::Database& db, const std::string& id) {
    verify_incoming_blobs(db, id);
    auto copy = [&](const std::string& sql) {
        SQLite::Statement statement(db, sql);
        statement.bind(1, id);
        return statement.exec();
    };
    copy(std::string("INSERT INTO main.runs (") + kRunColumns + ") SELECT " + kRunColumns +
         " FROM src.runs WHERE id = ?1");
    std::int64_t blobs_added =
        copy("INSERT OR IGNORE INTO main.blobs (sha256, size, codec, data) "
             "SELECT sha256, size, codec, data FROM src.blobs "
             "WHERE sha256 IN (SELECT sha256 FROM src.artifacts WHERE run_id = ?1)");
    copy("INSERT INTO main.params (run_id, key, value) "
         "SELECT run_id, key, value FROM src.params WHERE run_id = ?1");
    copy("INSERT INTO main.metrics (run_id, key, step, value) "
         "SELECT run_id, key, step, value FROM src.metrics WHERE run_id = ?1");
    copy("INSERT INTO main.artifacts (run_id, name, sha256) "
         "SELECT run_id, name, sha256 FROM src.artifacts WHERE run_id = ?1");
    copy("INSERT INTO main.provenance (run_id, key, value) "
         "SELECT run_id, key, value FROM src.provenance WHERE run_id = ?1");
    return blobs_added;
}

std::int64_t copy_experiments_and_cache(SQLite::Database& db) {
    db.exec("INSERT OR IGNORE INTO main.experiments (name, source, created_at) "
            "SELECT name, source, created_at FROM src.experiments");
    std::int64_t blobs_added =
        db.exec("INSERT OR IGNORE INTO main.blobs (sha256, size, codec, data) "
                "SELECT sha256, size, codec, data FROM src.blobs "
                "WHERE sha256 IN (SELECT sha256 FROM src.cache)");
    db.exec("INSERT OR IGNORE INTO main.cache (key, sha256, created_at) "
            "SELECT key, sha256, created_at FROM src.cache");
    return blobs_added;
}

// Artifacts both stores hold for run `id` whose contents differ: the same configuration gave
// another result there (a nondeterministic tool, another machine). Logs are left out: they
// carry wall times and paths even when the results are bit-identical.
std::vector<std::string> differing_results(SQLite::Database& db, const std::string& id) {
    SQLite::Statement differing(db, "SELECT a.name FROM main.artifacts a JOIN src.artifacts b "
                                    "ON b.run_id = a.run_id AND b.name = a.name "
                                    "WHERE a.run_id = ?1 AND a.sha256 != b.sha256 "
                                    "AND a.name NOT LIKE '%.log' ORDER BY a.name");
    differing.bind(1, id);
    std::vector<std::string> names;
    while (differing.executeStep())
        names.push_back(differing.getColumn(0).getString());
    return names;
}

} // namespace

Store::MergeReport Store::merge_from(const fs::path& other) {
    std::error_code error;
    if (fs::equivalent(other, path_, error))
        throw InputError(other.string() + ": cannot merge a store into itself");
    check_mergeable(other);
    Attached attached(*db_, other);
    MergeReport report;
    auto transaction = internal::write_transaction(*db_);
    SQLite::Statement theirs(*db_, "SELECT id, config, status FROM src.runs ORDER BY id");
    SQLite::Statement ours(*db_, "SELECT config, status FROM main.runs WHERE id = ?");
    while (theirs.executeStep()) {
        auto id = theirs.getColumn(0).getString();
        auto config = theirs.getColumn(1).getString();
        auto status = theirs.getColumn(2).getString();
        ours.reset();
        ours.bind(1, id);
        if (!ours.executeStep()) {
            report.blobs_added += copy_run(*db_, id);
            ++report.runs_added;
        } else if (ours.getColumn(0).getString() == config &&
                   ours.getColumn(1).getString() == status) {
            if (auto differing = differing_results(*db_, id); !differing.empty())
                report.conflicts.push_back("run " + id + ": same configuration, different " +
                                           join(differing) + "; kept this store's run");
            else
                ++report.runs_skipped;
        } else {
            report.conflicts.push_back("run " + id + ": " +
                                       (ours.getColumn(0).getString() != config
                                            ? std::string("configuration differs")
                                            : "status here '" + ours.getColumn(1).getString() +
                                                  "', there '" + status + "'") +
                                       "; kept this store's run");
        }
    }
    report.blobs_added += copy_experiments_and_cache(*db_);
    transaction.commit();
    return report;
}

} // namespace detlab::db
