// Read-only queries over runs and their rows.
#include "db/internal.h"

#include <limits>

namespace detlab::db {
namespace {

constexpr const char* kRunColumns = "id, experiment, kind, config, repeat, status, message, "
                                    "started_at, wall_seconds, host, config_id";

RunRow read_run_row(SQLite::Statement& query) {
    RunRow row;
    row.id = query.getColumn(0).getString();
    row.experiment = query.getColumn(1).getString();
    row.kind = query.getColumn(2).getString();
    row.config_json = query.getColumn(3).getString();
    row.repeat = query.getColumn(4).getInt();
    row.status = query.getColumn(5).getString();
    row.message = query.getColumn(6).getString();
    row.started_at = query.getColumn(7).getDouble();
    row.wall_seconds = query.getColumn(8).getDouble();
    row.host = query.getColumn(9).getString();
    row.config_id = query.getColumn(10).getString();
    return row;
}

std::map<std::string, std::string> read_pairs(SQLite::Database& db, const std::string& sql,
                                              const std::string& run_id) {
    SQLite::Statement query(db, sql);
    query.bind(1, run_id);
    std::map<std::string, std::string> pairs;
    while (query.executeStep())
        pairs.emplace(query.getColumn(0).getString(), query.getColumn(1).getString());
    return pairs;
}

} // namespace

std::optional<std::string> Store::experiment_source(const std::string& name) const {
    SQLite::Statement query(*db_, "SELECT source FROM experiments WHERE name = ?");
    query.bind(1, name);
    if (!query.executeStep())
        return std::nullopt;
    return query.getColumn(0).getString();
}

bool Store::run_done(const std::string& id) const {
    SQLite::Statement query(*db_, "SELECT 1 FROM runs WHERE id = ? AND status = ?");
    query.bind(1, id);
    query.bind(2, kStatusDone);
    return query.executeStep();
}

std::vector<std::string> Store::slot_statuses(const std::string& experiment,
                                              const std::string& config_id, int repeat) const {
    SQLite::Statement query(*db_, "SELECT status FROM runs WHERE experiment = ? AND config_id = ? "
                                  "AND repeat = ? ORDER BY recorded_at, id");
    query.bind(1, experiment);
    query.bind(2, config_id);
    query.bind(3, repeat);
    std::vector<std::string> statuses;
    while (query.executeStep())
        statuses.push_back(query.getColumn(0).getString());
    return statuses;
}

std::int64_t Store::observation_count(const std::string& config_id) const {
    SQLite::Statement query(*db_, "SELECT count(*) FROM runs WHERE config_id = ?");
    query.bind(1, config_id);
    query.executeStep();
    return query.getColumn(0).getInt64();
}

int Store::next_repeat(const std::string& experiment, const std::string& config_id) const {
    SQLite::Statement query(*db_, "SELECT coalesce(max(repeat) + 1, 0) FROM runs "
                                  "WHERE experiment = ? AND config_id = ?");
    query.bind(1, experiment);
    query.bind(2, config_id);
    query.executeStep();
    return query.getColumn(0).getInt();
}

std::optional<RunRow> Store::run(const std::string& id) const {
    SQLite::Statement query(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
    query.bind(1, id);
    if (!query.executeStep())
        return std::nullopt;
    return read_run_row(query);
}

std::vector<RunRow> Store::runs(const RunFilter& filter) const {
    // Unset filters bind NULL and match everything, so one statement serves every combination.
    SQLite::Statement query(*db_, std::string("SELECT ") + kRunColumns +
                                      " FROM runs WHERE (?1 IS NULL OR experiment = ?1) "
                                      "AND (?2 IS NULL OR kind = ?2) "
                                      "AND (?3 IS NULL OR status = ?3) "
                                      "ORDER BY started_at, id LIMIT ?4");
    auto bind_optional = [&](int index, const std::optional<std::string>& value) {
        if (value)
            query.bind(index, *value);
        else
            query.bind(index);
    };
    bind_optional(1, filter.experiment);
    bind_optional(2, filter.kind);
    bind_optional(3, filter.status);
    query.bind(4, filter.limit.value_or(-1)); // a negative LIMIT means no limit
    std::vector<RunRow> rows;
    while (query.executeStep())
        rows.push_back(read_run_row(query));
    return rows;
}

std::vector<std::pair<std::string, std::string>> Store::params(const std::string& run_id) const {
    auto pairs = read_pairs(*db_, "SELECT key, value FROM params WHERE run_id = ?", run_id);
    return {pairs.begin(), pairs.end()};
}

std::vector<Metric> Store::metrics(const std::string& run_id) const {
    SQLite::Statement query(*db_, "SELECT key, value, step FROM metrics WHERE run_id = ? "
                                  "ORDER BY key, step");
    query.bind(1, run_id);
    std::vector<Metric> metrics;
    while (query.executeStep()) {
        auto value = query.getColumn(1);
        metrics.push_back(
            {query.getColumn(0).getString(),
             value.isNull() ? std::numeric_limits<double>::quiet_NaN() : value.getDouble(),
             query.getColumn(2).getInt64()});
    }
    return metrics;
}

std::map<std::string, std::string> Store::artifacts(const std::string& run_id) const {
    return read_pairs(*db_, "SELECT name, sha256 FROM artifacts WHERE run_id = ?", run_id);
}

std::map<std::string, std::string> Store::provenance(const std::string& run_id) const {
    return read_pairs(*db_, "SELECT key, value FROM provenance WHERE run_id = ?", run_id);
}

} // namespace detlab::db
