// The check wired into builds (sweep hook, detlab synth) and applied to stored runs.
#include "harness/equiv/equiv.h"

#include <algorithm>
#include <cstdlib>

namespace detlab::equiv {
namespace {

const db::Artifact* find_artifact(const db::RunResult& run, const std::string& name) {
    for (const auto& artifact : run.artifacts)
        if (artifact.name == name)
            return &artifact;
    return nullptr;
}

// A stored run as the RunResult that wrote it, so it can be recorded again with more in it.
db::RunResult load_run(const db::Store& store, const db::RunRow& row) {
    db::RunResult run;
    run.id = row.id;
    run.experiment = row.experiment;
    run.kind = row.kind;
    run.config_json = row.config_json;
    run.repeat = row.repeat;
    run.status = row.status;
    run.message = row.message;
    run.started_at = row.started_at;
    run.wall_seconds = row.wall_seconds;
    run.host = row.host;
    run.params = store.params(row.id);
    run.metrics = store.metrics(row.id);
    for (const auto& [name, sha] : store.artifacts(row.id))
        run.artifacts.push_back({name, store.get_blob(sha)});
    run.provenance = store.provenance(row.id);
    return run;
}

// Drops an earlier check's results, so checking again replaces rather than duplicates them.
void remove_previous_check(db::RunResult& run) {
    std::erase_if(run.metrics, [](const db::Metric& m) { return m.key.starts_with("equiv_"); });
    std::erase_if(run.artifacts,
                  [](const db::Artifact& a) { return a.name == "equiv_outputs.bin"; });
    auto marker = run.message.find("EQUIVALENCE CHECK FAILED");
    if (marker != std::string::npos)
        run.message = run.message.substr(0, marker >= 2 ? marker - 2 : 0);
}

} // namespace

int vectors_from_environment() {
    const char* text = std::getenv("DETLAB_EQUIV_VECTORS");
    if (!text || !*text)
        return 0;
    char* end = nullptr;
    long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 0 || value > 100000)
        throw InputError(
            input_error_message("environment", 0, "DETLAB_EQUIV_VECTORS",
                                "'" + std::string(text) + "' is not a vector count 0..100000"));
    return static_cast<int>(value);
}

void check_toolchain_run(db::RunResult& run, const nlohmann::json& config,
                         const CheckOptions& options) {
    const db::Artifact* asc = find_artifact(run, "bitstream.asc");
    if (!asc || options.vectors <= 0)
        return;
    // Concurrent sweep workers may pass the same work_dir: each run simulates in its own
    // directory, removed afterwards (a Verilator build is tens of megabytes).
    CheckOptions own = options;
    if (!own.work_dir.empty())
        own.work_dir /= run.id.empty() ? "run" : run.id;
    try {
        std::string_view text(reinterpret_cast<const char*>(asc->bytes.data()), asc->bytes.size());
        // A partial configuration (defaults left out) falls back to the run's completed one.
        auto board = board_from_config(config.contains("array") && config.contains("device")
                                           ? config
                                           : nlohmann::json::parse(run.config_json));
        auto result = check_bitstream(text, board, own);
        if (!own.work_dir.empty())
            std::filesystem::remove_all(own.work_dir);
        add_to_run(run, result);
    } catch (const std::exception& error) {
        if (!own.work_dir.empty())
            std::filesystem::remove_all(own.work_dir);
        run.status = db::kStatusFailed;
        run.message = std::string("equivalence check: ") + error.what();
        run.add_param("failed_stage", "equiv");
    }
}

CheckResult check_stored_run(db::Store& store, const std::string& run_id,
                             const CheckOptions& options) {
    auto row = store.run(run_id);
    if (!row)
        throw InputError(input_error_message(
            "argument", 0, "run", "no run \"" + run_id + "\" in " + store.path().string()));
    if (row->kind != "toolchain")
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + run_id + " is a " + row->kind +
                                                 " run, not a toolchain run"));
    auto asc = store.artifact_bytes(run_id, "bitstream.asc");
    if (!asc)
        throw InputError(input_error_message(
            "argument", 0, "run", "run " + run_id + " (" + row->status + ") has no bitstream.asc"));
    auto config = nlohmann::json::parse(row->config_json);
    std::string_view text(reinterpret_cast<const char*>(asc->data()), asc->size());
    auto result = check_bitstream(text, board_from_config(config), options);
    db::RunResult run = load_run(store, *row);
    remove_previous_check(run);
    add_to_run(run, result);
    store.record_run(run);
    return result;
}

} // namespace detlab::equiv
