// Flat exports of runs with their params and final metrics (CSV and JSON).
#include "db/internal.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

namespace detlab::db {
namespace {

struct ExportRecord {
    RunRow run;
    std::map<std::string, std::string> params;
    std::map<std::string, double> metrics; // value at the highest step
};

std::vector<ExportRecord> collect(const Store& store, const RunFilter& filter) {
    std::vector<ExportRecord> records;
    for (auto& run : store.runs(filter)) {
        ExportRecord record;
        auto params = store.params(run.id);
        record.params.insert(params.begin(), params.end());
        for (const auto& metric : store.metrics(run.id)) // ordered by key, then step
            record.metrics[metric.key] = metric.value;
        record.run = std::move(run);
        records.push_back(std::move(record));
    }
    return records;
}

// Shortest text that reads back as the same double; whole numbers (timestamps, counts) are
// written without an exponent so spreadsheets show them as they are.
std::string number_text(double value) {
    if (std::abs(value) < 1e15 && value == std::floor(value))
        return std::to_string(static_cast<std::int64_t>(value));
    char buffer[64];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return error == std::errc() ? std::string(buffer, end) : std::string("nan");
}

const std::vector<std::string> kRunFields = {"id",         "config_id",    "experiment", "kind",
                                             "repeat",     "status",       "message",    "host",
                                             "started_at", "wall_seconds", "config"};

std::vector<std::string> run_cells(const RunRow& run) {
    return {run.id,
            run.config_id,
            run.experiment,
            run.kind,
            std::to_string(run.repeat),
            run.status,
            run.message,
            run.host,
            number_text(run.started_at),
            number_text(run.wall_seconds),
            run.config_json};
}

void write_csv(const std::vector<ExportRecord>& records, std::ostream& out) {
    std::set<std::string> param_keys, metric_keys;
    for (const auto& record : records) {
        for (const auto& [key, value] : record.params)
            param_keys.insert(key);
        for (const auto& [key, value] : record.metrics)
            metric_keys.insert(key);
    }
    auto write_row = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i)
            out << (i ? "," : "") << csv_cell(cells[i]);
        out << "\r\n";
    };
    std::vector<std::string> header = kRunFields;
    for (const auto& key : param_keys)
        header.push_back("params." + key);
    for (const auto& key : metric_keys)
        header.push_back("metrics." + key);
    write_row(header);
    for (const auto& record : records) {
        auto cells = run_cells(record.run);
        for (const auto& key : param_keys) {
            auto found = record.params.find(key);
            cells.push_back(found == record.params.end() ? "" : found->second);
        }
        for (const auto& key : metric_keys) {
            auto found = record.metrics.find(key);
            cells.push_back(found == record.metrics.end() ? "" : number_text(found->second));
        }
        write_row(cells);
    }
}

void write_json(const std::vector<ExportRecord>& records, std::ostream& out) {
    // ordered_json keeps the run's fields first, in the same order as the CSV columns.
    auto array = nlohmann::ordered_json::array();
    for (const auto& record : records) {
        const auto& run = record.run;
        nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
        for (const auto& [key, value] : record.metrics)
            metrics[key] = value; // NaN is written as null
        array.push_back({{"id", run.id},
                         {"experiment", run.experiment},
                         {"kind", run.kind},
                         {"repeat", run.repeat},
                         {"status", run.status},
                         {"message", run.message},
                         {"host", run.host},
                         {"started_at", run.started_at},
                         {"wall_seconds", run.wall_seconds},
                         {"config", run.config_json},
                         {"params", record.params},
                         {"metrics", metrics}});
    }
    out << array.dump(2) << "\n";
}

} // namespace

void export_runs(const Store& store, ExportFormat format, std::ostream& out,
                 const RunFilter& filter) {
    auto records = collect(store, filter);
    if (format == ExportFormat::csv)
        write_csv(records, out);
    else
        write_json(records, out);
}

} // namespace detlab::db
