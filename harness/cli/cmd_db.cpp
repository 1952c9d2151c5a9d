// `detlab db info|check`, `detlab runs` and `detlab export`: looking into a results store.
#include "db/store.h"
#include "harness/cli/cli.h"
#include "harness/sweep/sweep.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace detlab::cli {
namespace {

std::string human_bytes(std::int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    std::ostringstream text;
    text << std::fixed << std::setprecision(unit == 0 ? 0 : 1) << value << " " << units[unit];
    return text.str();
}

void print_info(const GlobalOptions& global) {
    auto store = open_existing_store(global);
    auto info = store.info();
    std::cout << "database        " << global.db_path << "\n"
              << "schema version  " << info.schema_version << "\n"
              << "size on disk    " << human_bytes(info.file_bytes) << " (" << info.file_bytes
              << " bytes, with WAL)\n"
              << "rows\n";
    for (const auto& [table, count] : info.row_counts)
        std::cout << "  " << std::left << std::setw(14) << table << std::right << std::setw(10)
                  << count << "\n";
    double compression =
        info.blob_stored_bytes > 0
            ? static_cast<double>(info.blob_raw_bytes) / static_cast<double>(info.blob_stored_bytes)
            : 1.0;
    std::cout << std::fixed << std::setprecision(2) << "blobs           " << info.blob_count
              << " distinct, " << human_bytes(info.blob_raw_bytes) << " raw, "
              << human_bytes(info.blob_stored_bytes) << " stored (zstd " << compression << "x)\n"
              << "artifacts       " << human_bytes(info.artifact_raw_bytes)
              << " raw referenced, dedup ratio " << info.dedup_ratio() << "\n";
}

void run_check(const GlobalOptions& global) {
    auto store = open_existing_store(global);
    auto report = store.check();
    std::cout << "integrity check: " << report.integrity << "\n"
              << "blobs checked:   " << report.blobs_checked << "\n";
    for (const auto& problem : report.problems)
        std::cout << "problem: " << terminal_safe(problem) << "\n";
    std::cout << (report.ok ? "store is OK" : "store has problems") << "\n";
    if (!report.ok)
        throw CLI::RuntimeError(1);
}

struct ListOptions {
    std::string experiment, kind, status;
    std::int64_t limit = -1;
    std::string format = "csv";
    std::string out;
    std::string artifact, run; // export --artifact NAME RUN

    db::RunFilter filter() const {
        db::RunFilter filter;
        auto set = [](std::optional<std::string>& slot, const std::string& value) {
            if (!value.empty())
                slot = value;
        };
        set(filter.experiment, experiment);
        set(filter.kind, kind);
        set(filter.status, status);
        if (limit >= 0)
            filter.limit = limit;
        return filter;
    }
};

void add_filter_options(CLI::App& command, ListOptions& options) {
    command.add_option("--experiment", options.experiment, "only runs of this experiment");
    command.add_option("--kind", options.kind, "only runs of this kind")
        ->check(CLI::IsMember(db::run_kinds()));
    command.add_option("--status", options.status, "only runs with this status")
        ->check(CLI::IsMember({db::kStatusDone, db::kStatusFailed, db::kStatusTimeout}));
    command.add_option("--limit", options.limit, "at most this many runs (oldest first)")
        ->check(CLI::NonNegativeNumber);
}

// The message's first line and the tool's first ERROR line ("yosys exit 1: src/top.v:49:
// ERROR: syntax error ..."), cut at kWidth, with control characters shown as '?'.
std::string short_message(const std::string& message) {
    constexpr std::size_t kWidth = 160;
    std::string line;
    for (const auto& text : sweep::message_lines(message, 2))
        line += (line.empty() ? "" : " ") + text;
    return line.size() > kWidth ? line.substr(0, kWidth - 3) + "..." : line;
}

void print_table(std::vector<std::vector<std::string>> rows) {
    // Every cell comes from the store: escape sequences in it must not reach the terminal.
    for (auto& row : rows)
        for (auto& cell : row)
            cell = terminal_safe(cell, 200);
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths.resize(std::max(widths.size(), row.size()));
            widths[i] = std::max(widths[i], row[i].size());
        }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += row[i] + (i + 1 < row.size() ? std::string(widths[i] - row[i].size() + 2, ' ')
                                                 : std::string());
        std::cout << line.substr(0, line.find_last_not_of(' ') + 1) << "\n";
    }
}

// A stored run's study, factor and point ("-" for runs outside a sweep, e.g. `detlab synth`).
struct RunPoint {
    std::string study = "-", factor = "-", value = "-";
};

RunPoint run_point(const std::vector<std::pair<std::string, std::string>>& params) {
    RunPoint point;
    for (const auto& [key, text] : params) {
        if (key == db::param::kStudy)
            point.study = text;
        else if (key == db::param::kFactor)
            point.factor = text;
        else if (key == db::param::kFactorValue) {
            // Stored as JSON: a string shows unquoted, a grid point as key=value pairs.
            auto value = nlohmann::json::parse(text, nullptr, false);
            if (value.is_string())
                point.value = value.get<std::string>();
            else if (value.is_object()) {
                point.value.clear();
                for (const auto& [name, item] : value.items())
                    point.value += (point.value.empty() ? "" : " ") + name + "=" +
                                   observation::param_text(item);
            } else
                point.value = value.is_discarded() ? text : value.dump();
        }
    }
    return point;
}

// A run's quality metric as a cell: the value, "not measured" when a done run of a kind that
// records it lacks it, "-" when it does not apply (another kind, or a run that did not finish).
std::string quality_cell(const db::RunRow& run, const std::vector<db::Metric>& metrics,
                         const char* kind, const char* key, int precision) {
    if (run.kind != kind)
        return "-";
    const db::Metric* last = nullptr; // the final value: highest step
    for (const auto& metric : metrics)
        if (metric.key == key && (!last || metric.step >= last->step))
            last = &metric;
    if (!last || std::isnan(last->value))
        return run.status == db::kStatusDone ? "not measured" : "-";
    std::ostringstream text;
    text << std::fixed << std::setprecision(precision) << last->value;
    return text.str();
}

void list_runs(const GlobalOptions& global, const ListOptions& options) {
    auto store = open_existing_store(global);
    auto runs = store.runs(options.filter());
    std::vector<std::vector<std::string>> rows{{"ID", "EXPERIMENT", "KIND", "STUDY", "FACTOR",
                                                "VALUE", "REPEAT", "STATUS", "FMAX_MHZ", "ACCURACY",
                                                "WALL_S", "MESSAGE"}};
    for (const auto& run : runs) {
        auto point = run_point(store.params(run.id));
        auto metrics = store.metrics(run.id);
        std::ostringstream wall;
        wall << std::fixed << std::setprecision(2) << run.wall_seconds;
        std::string message = short_message(run.message);
        rows.push_back(
            {run.id, run.experiment, run.kind, point.study, point.factor, point.value,
             std::to_string(run.repeat), run.status,
             quality_cell(run, metrics, db::kKindToolchain, db::metric::kFmaxMhz, 2),
             quality_cell(run, metrics, db::kKindTrain, db::metric::kFinalTestAccuracy, 4),
             wall.str(), message.empty() ? "-" : message});
    }
    print_table(rows);
    std::cout << runs.size() << " run(s)\n";
}

void export_runs(const GlobalOptions& global, const ListOptions& options) {
    auto store = open_existing_store(global);
    auto format = options.format == "json" ? db::ExportFormat::json : db::ExportFormat::csv;
    if (options.out.empty()) {
        db::export_runs(store, format, std::cout, options.filter());
        return;
    }
    std::ostringstream text;
    db::export_runs(store, format, text, options.filter());
    try {
        write_file(options.out, text.str());
    } catch (const std::exception& e) { // a bad --out is bad input: exit 2
        throw InputError(std::string("--out: ") + e.what());
    }
}

// `detlab export --artifact NAME RUN --out FILE`: one stored artifact as the tool wrote it
// (decompressed), its bytes hashed again against the hash the store names it by. The file is
// created exclusively, so an existing file is never overwritten (nor one made meanwhile).
void export_artifact(const GlobalOptions& global, const ListOptions& options) {
    auto bad = [](const std::string& key, const std::string& why) {
        return InputError(input_error_message("argument", 0, key, why));
    };
    if (options.run.empty())
        throw bad("RUN", "--artifact needs the run id (detlab runs lists them)");
    if (options.out.empty())
        throw bad("--out", "--artifact needs --out FILE (artifacts are bytes, not text)");
    if (!options.experiment.empty() || !options.kind.empty() || !options.status.empty() ||
        options.limit >= 0 || options.format != "csv")
        throw bad("--artifact", "takes one run: --experiment, --kind, --status, --limit and "
                                "--format select rows of the table export, not an artifact");
    auto store = open_existing_store(global);
    if (!store.run(options.run))
        throw bad("RUN", "no run " + terminal_safe(options.run) + " in " + global.db_path);
    auto artifacts = store.artifacts(options.run);
    auto it = artifacts.find(options.artifact);
    if (it == artifacts.end()) {
        std::string names;
        for (const auto& [name, sha] : artifacts)
            names += (names.empty() ? "" : ", ") + name;
        throw bad("--artifact",
                  "run " + options.run + " has no artifact " + terminal_safe(options.artifact) +
                      " (it has: " + (names.empty() ? std::string("none") : names) + ")");
    }
    Bytes bytes = *store.artifact_bytes(options.run, options.artifact); // throws BlobCorrupt
    std::string sha = sha256_hex(bytes);
    if (sha != it->second)
        throw std::runtime_error("artifact " + options.artifact + " of run " + options.run +
                                 " reads back as sha256 " + sha + ", stored as " + it->second);
    std::FILE* file = std::fopen(options.out.c_str(), "wbx"); // x: fail if it exists
    if (!file)
        throw bad("--out", options.out + ": " +
                               (errno == EEXIST ? std::string("exists; not overwritten")
                                                : std::string(std::strerror(errno))));
    bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    written = std::fclose(file) == 0 && written;
    if (!written) {
        std::error_code ignored;
        std::filesystem::remove(options.out, ignored);
        throw std::runtime_error(options.out + ": write failed");
    }
    std::cout << "wrote " << options.artifact << " of run " << options.run << " to "
              << terminal_safe(options.out) << " (" << bytes.size() << " bytes, sha256 " << sha
              << ", as stored)\n";
}

struct BenchOptions {
    int runs = 200, writers = 2;
    std::string dir;
};

void run_bench(const BenchOptions& options) {
    db::StoreBenchResult r;
    {
        TempDir dir("detlab-bench-store", options.dir);
        r = db::bench_store(dir.path(), options.runs, options.writers);
    }
    std::printf(
        "store: %d toolchain-shaped runs (shared netlist.json + own bitstream.bin, .asc, log)\n",
        r.runs);
    std::printf("  1 writer (baseline): %.3f s, %.1f runs/s\n", r.baseline_seconds,
                r.baseline_runs_per_s);
    std::printf("  %d writers:          %.3f s, %.1f runs/s, %.2fx the baseline\n", r.writers,
                r.parallel_seconds, r.parallel_runs_per_s, r.parallel_speedup);
    std::printf("  verified reads:      %.3f s, %.1f MiB/s (%s)\n", r.verify_seconds,
                r.verify_mib_per_s, human_bytes(r.verified_bytes).c_str());
    std::printf("  store: %s on disk, %lld blobs, dedup ratio %.2f, zstd %.2fx\n",
                human_bytes(r.info.file_bytes).c_str(), static_cast<long long>(r.info.blob_count),
                r.info.dedup_ratio(),
                static_cast<double>(r.info.blob_raw_bytes) /
                    static_cast<double>(std::max<std::int64_t>(r.info.blob_stored_bytes, 1)));
}

const Registration bench_registration(91, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<BenchOptions>();
    auto* cmd = bench_group(app).add_subcommand(
        "store", "recording throughput of one writer against several (one connection each), "
                 "then verified blob reads");
    cmd->add_option("--runs", options->runs, "runs to record per phase")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--writers", options->writers, "writer threads in the parallel phase")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--dir", options->dir, "scratch directory (default: the system temp dir)");
    cmd->callback([options] { run_bench(*options); });
});

const Registration registration(50, [](CLI::App& app, GlobalOptions& global) {
    auto* group = app.add_subcommand("db", "inspect and verify the results database");
    group->require_subcommand(1);
    auto* info = group->add_subcommand(
        "info", "schema version, row counts, size on disk and blob deduplication");
    add_db_option(*info, global);
    info->callback([&global] { print_info(global); });
    auto* check = group->add_subcommand(
        "check", "SQLite integrity check plus re-hash of every blob; exit 1 on any problem");
    add_db_option(*check, global);
    check->callback([&global] { run_check(global); });

    auto options = std::make_shared<ListOptions>();
    auto* runs = app.add_subcommand(
        "runs", "list runs as a table (study, factor, value, status, Fmax or final accuracy, the "
                "message's first line), optionally filtered; the whole message is in export");
    add_db_option(*runs, global);
    add_filter_options(*runs, *options);
    runs->callback([&global, options] { list_runs(global, *options); });

    auto* exporter = app.add_subcommand(
        "export", "runs joined with their params and final metrics, as CSV or JSON "
                  "(columns params.<key>, metrics.<key>) for pandas or a spreadsheet");
    add_db_option(*exporter, global);
    add_filter_options(*exporter, *options);
    exporter->add_option("--format", options->format, "csv or json")
        ->check(CLI::IsMember({"csv", "json"}))
        ->capture_default_str();
    exporter->add_option("--out", options->out,
                         "write to this file instead of stdout (with --artifact: required, and "
                         "an existing file is not overwritten)");
    exporter->add_option("--artifact", options->artifact,
                         "write this stored artifact of RUN (bitstream.bin, bitstream.asc, "
                         "netlist.json, ...) to --out as the tool wrote it, decompressed and "
                         "checked against its stored sha256");
    exporter->add_option("run", options->run, "the run whose artifact --artifact writes");
    exporter->callback([&global, options] {
        if (!options->artifact.empty() || !options->run.empty())
            export_artifact(global, *options);
        else
            export_runs(global, *options);
    });
});

} // namespace
} // namespace detlab::cli
