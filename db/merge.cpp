// Merging another store (a shard) into this one.
#include "db/internal.h"

#include <array>
#include <fstream>

namespace detlab::db {
namespace fs = std::filesystem;

namespace {

// Every column but the id, which an incoming observation may have to change.
constexpr const char* kRunColumns = "experiment, kind, config, repeat, status, message, "
                                    "started_at, wall_seconds, host, recorded_at, config_id";
// What makes two rows one observation: everything it observed (when it was written into a
// store is not part of it, so one result recorded into two stores is still one observation).
constexpr const char* kObservedColumns = "experiment, kind, config, repeat, status, message, "
                                         "started_at, wall_seconds, host, config_id";

} // namespace

void Store::check_mergeable(const fs::path& other) {
    if (other.empty())
        throw InputError("merge: an empty path names no store");
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
    internal::refuse_hostile_schema(source, "main", other);
}

namespace {

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

// A shard's blob is verified before it enters this store, so a merge never imports damage.
// Returns what is wrong with the first damaged blob the observation needs ("" when none): the
// caller leaves that observation out and says so, and merges the rest.
std::string damaged_blob_of(SQLite::Database& db, const std::string& id) {
    SQLite::Statement incoming(db, "SELECT a.name, a.sha256, b.size, b.codec, b.data, "
                                   "b.sha256 IS NULL FROM src.artifacts a "
                                   "LEFT JOIN src.blobs b ON b.sha256 = a.sha256 "
                                   "WHERE a.run_id = ?1 AND a.sha256 NOT IN "
                                   "(SELECT sha256 FROM main.blobs) ORDER BY a.name");
    incoming.bind(1, id);
    while (incoming.executeStep()) {
        // A missing blob would fail the whole merge on the foreign key, naming nothing.
        if (incoming.getColumn(5).getInt() != 0)
            return incoming.getColumn(0).getString() + " is missing (blob " +
                   incoming.getColumn(1).getString() + " is not in the store)";
        auto data = incoming.getColumn(4);
        try {
            internal::decode_blob(incoming.getColumn(1).getString(),
                                  incoming.getColumn(2).getInt64(),
                                  incoming.getColumn(3).getString(), data.getBlob(),
                                  static_cast<std::size_t>(data.getBytes()));
        } catch (const BlobCorrupt& error) {
            return incoming.getColumn(0).getString() + " is damaged (" + error.what() + ")";
        }
    }
    return {};
}

// The session the source's observations belong to (kStoreIdProvenance): the source store's id,
// except for a shard of this very store ("results/detlab.shard-2.db" into "results/detlab.db",
// as `detlab sweep --shard` names them), whose runs are part of this store's sweep.
std::string session_of_source(SQLite::Database& db, const fs::path& here, const fs::path& other) {
    std::string stem = here.stem().string() + ".shard-";
    std::string name = other.filename().string();
    std::error_code error;
    bool shard = fs::weakly_canonical(fs::absolute(other).parent_path(), error) ==
                     fs::weakly_canonical(fs::absolute(here).parent_path(), error) &&
                 name.rfind(stem, 0) == 0 &&
                 name.size() > stem.size() + here.extension().string().size() &&
                 name.ends_with(here.extension().string());
    std::string schema = shard ? "main" : "src";
    // A version-4 file without the table was not made by detlab's migration: say so, naming it.
    SQLite::Statement table(db, "SELECT count(*) FROM " + schema +
                                    ".sqlite_master WHERE type = 'table' AND name = 'store_meta'");
    table.executeStep();
    if (table.getColumn(0).getInt() == 0)
        throw InputError((shard ? here : other).string() +
                         ": no store_meta table (the store's id); detlab refuses a store it did "
                         "not make this way");
    SQLite::Statement id(db, "SELECT value FROM " + schema + ".store_meta WHERE key = 'store_id'");
    return id.executeStep() ? id.getColumn(0).getString() : std::string();
}

// Copies observation `id` of the source as observation `new_id` here (usually the same id),
// its session recorded when it has none yet (a store merged before keeps its first one).
std::int64_t copy_run(SQLite::Database& db, const std::string& id, const std::string& new_id,
                      const std::string& session) {
    auto copy = [&](const std::string& sql) {
        SQLite::Statement statement(db, sql);
        statement.bind(1, id);
        statement.bind(2, new_id);
        return statement.exec();
    };
    copy(std::string("INSERT INTO main.runs (id, ") + kRunColumns + ") SELECT ?2, " + kRunColumns +
         " FROM src.runs WHERE id = ?1");
    std::int64_t blobs_added =
        copy("INSERT OR IGNORE INTO main.blobs (sha256, size, codec, data) "
             "SELECT sha256, size, codec, data FROM src.blobs "
             "WHERE sha256 IN (SELECT sha256 FROM src.artifacts WHERE run_id = ?1 AND ?2 = ?2)");
    copy("INSERT INTO main.params (run_id, key, value) "
         "SELECT ?2, key, value FROM src.params WHERE run_id = ?1");
    copy("INSERT INTO main.metrics (run_id, key, step, value) "
         "SELECT ?2, key, step, value FROM src.metrics WHERE run_id = ?1");
    copy("INSERT INTO main.artifacts (run_id, name, sha256) "
         "SELECT ?2, name, sha256 FROM src.artifacts WHERE run_id = ?1");
    copy("INSERT INTO main.provenance (run_id, key, value) "
         "SELECT ?2, key, value FROM src.provenance WHERE run_id = ?1");
    if (new_id != id)
        copy("INSERT OR REPLACE INTO main.provenance (run_id, key, value) "
             "SELECT ?2, 'merged_from_id', ?1");
    SQLite::Statement stamp(db, "INSERT OR IGNORE INTO main.provenance (run_id, key, value) "
                                "VALUES (?, ?, ?)");
    stamp.bind(1, new_id);
    stamp.bind(2, kStoreIdProvenance);
    stamp.bind(3, session);
    stamp.exec();
    return blobs_added;
}

// Cache entries whose blob is new here are verified like a run's: a damaged netlist would
// otherwise be reused by later builds. A damaged one is left out and named in `damaged`.
std::int64_t copy_experiments_and_cache(SQLite::Database& db, std::vector<std::string>& damaged) {
    db.exec("INSERT OR IGNORE INTO main.experiments (name, source, created_at) "
            "SELECT name, source, created_at FROM src.experiments");
    SQLite::Statement entries(db, "SELECT c.key, c.created_at, b.sha256, b.size, b.codec, b.data "
                                  "FROM src.cache c JOIN src.blobs b ON b.sha256 = c.sha256 "
                                  "WHERE c.key NOT IN (SELECT key FROM main.cache) ORDER BY c.key");
    std::int64_t blobs_added = 0;
    while (entries.executeStep()) {
        std::string key = entries.getColumn(0).getString(), sha = entries.getColumn(2).getString();
        auto data = entries.getColumn(5);
        try {
            internal::decode_blob(sha, entries.getColumn(3).getInt64(),
                                  entries.getColumn(4).getString(), data.getBlob(),
                                  static_cast<std::size_t>(data.getBytes()));
        } catch (const BlobCorrupt& error) {
            damaged.push_back("cache entry " + key + " is damaged (" + error.what() +
                              "): not merged");
            continue;
        }
        SQLite::Statement blob(db, "INSERT OR IGNORE INTO main.blobs (sha256, size, codec, data) "
                                   "SELECT sha256, size, codec, data FROM src.blobs "
                                   "WHERE sha256 = ?");
        blob.bind(1, sha);
        blobs_added += blob.exec();
        SQLite::Statement entry(db, "INSERT OR IGNORE INTO main.cache (key, sha256, created_at) "
                                    "VALUES (?, ?, ?)");
        entry.bind(1, key);
        entry.bind(2, sha);
        entry.bind(3, entries.getColumn(1).getInt64());
        entry.exec();
    }
    return blobs_added;
}

// Whether observation `here` of this store is observation `there` of the source: the same row
// (but for the id) and the same artifacts. Merging a store twice finds its observations again.
bool same_observation(SQLite::Database& db, const std::string& there, const std::string& here) {
    SQLite::Statement row(db, std::string("SELECT count(*) FROM (SELECT ") + kObservedColumns +
                                  " FROM main.runs WHERE id = ?2 INTERSECT SELECT " +
                                  kObservedColumns + " FROM src.runs WHERE id = ?1)");
    row.bind(1, there);
    row.bind(2, here);
    row.executeStep();
    if (row.getColumn(0).getInt() != 1)
        return false;
    SQLite::Statement differing(
        db,
        "SELECT (SELECT count(*) FROM (SELECT name, sha256 FROM main.artifacts WHERE run_id = ?2 "
        "EXCEPT SELECT name, sha256 FROM src.artifacts WHERE run_id = ?1)) + "
        "(SELECT count(*) FROM (SELECT name, sha256 FROM src.artifacts WHERE run_id = ?1 "
        "EXCEPT SELECT name, sha256 FROM main.artifacts WHERE run_id = ?2))");
    differing.bind(1, there);
    differing.bind(2, here);
    differing.executeStep();
    return differing.getColumn(0).getInt() == 0;
}

bool id_taken(SQLite::Database& db, const std::string& id) {
    SQLite::Statement query(db, "SELECT 1 FROM main.runs WHERE id = ?");
    query.bind(1, id);
    return query.executeStep();
}

// A stable new id for an incoming observation whose id is taken here: derived from its id and
// its row, so merging the same store twice renames it the same way (and then skips it).
std::string derived_id(SQLite::Database& db, const std::string& id) {
    SQLite::Statement row(db, "SELECT host, started_at, recorded_at FROM src.runs WHERE id = ?");
    row.bind(1, id);
    row.executeStep();
    std::string material = id + "\n" + row.getColumn(0).getString() + "\n" +
                           row.getColumn(1).getString() + "\n" + row.getColumn(2).getString();
    for (int salt = 0;; ++salt) {
        auto candidate =
            sha256_hex(std::string_view(material + "\n" + std::to_string(salt))).substr(0, 16);
        if (!id_taken(db, candidate) || same_observation(db, id, candidate))
            return candidate;
    }
}

} // namespace

Store::MergeReport Store::merge_from(const fs::path& other) {
    std::error_code error;
    if (fs::equivalent(other, path_, error))
        throw InputError(other.string() + ": cannot merge a store into itself");
    check_mergeable(other);
    return internal::guard_write(path_, [&] {
        Attached attached(*db_, other);
        internal::refuse_hostile_schema(*db_, "src", other); // the file may have changed meanwhile
        MergeReport report;
        auto transaction = internal::write_transaction(*db_);
        std::string session = session_of_source(*db_, path_, other);
        SQLite::Statement theirs(*db_, "SELECT id FROM src.runs ORDER BY id");
        while (theirs.executeStep()) {
            auto id = theirs.getColumn(0).getString();
            std::string new_id = id;
            if (id_taken(*db_, id)) {
                if (same_observation(*db_, id, id)) {
                    ++report.runs_skipped;
                    continue;
                }
                new_id = derived_id(*db_, id);
                if (id_taken(*db_, new_id)) {
                    ++report.runs_skipped; // renamed by an earlier merge of the same store
                    continue;
                }
            }
            if (auto problem = damaged_blob_of(*db_, id); !problem.empty()) {
                report.damaged.push_back("run " + id + ": " + problem + ": not merged");
                continue;
            }
            // One savepoint per observation: a row the source should never have held (a broken
            // reference, a duplicate key) costs that observation, named, not the whole merge.
            db_->exec("SAVEPOINT merge_run");
            try {
                report.blobs_added += copy_run(*db_, id, new_id, session);
                db_->exec("RELEASE merge_run");
            } catch (const SQLite::Exception& failure) {
                internal::rethrow_if_machine(failure, path_); // the whole merge stops for those
                db_->exec("ROLLBACK TO merge_run");
                db_->exec("RELEASE merge_run");
                report.damaged.push_back("run " + id + ": cannot be copied (" + failure.what() +
                                         "): not merged");
                continue;
            }
            ++report.runs_added;
            report.runs_renamed += new_id != id;
        }
        report.blobs_added += copy_experiments_and_cache(*db_, report.damaged);
        transaction.commit();
        return report;
    });
}

} // namespace detlab::db
