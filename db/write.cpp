// Writing observations: a whole run in one transaction, later findings about it, experiments.
#include "db/internal.h"
#include "harness/invariant/invariant.h"

#include <sqlite3.h>

namespace detlab::db {
using internal::write_transaction;

namespace {

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
void write_run(SQLite::Database& db, const std::filesystem::path& path, const RunResult& run,
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
