// The check wired into builds (sweep hook, detlab synth) and applied to stored runs.
#include "harness/equiv/equiv.h"

#include <algorithm>
#include <cstdlib>

namespace detlab::equiv {

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
    const db::Artifact* asc = run.find_artifact(db::artifact::kAsc);
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

std::optional<CheckResult> stored_check(const db::Store& store, const std::string& run_id) {
    std::optional<CheckResult> found;
    for (const auto& metric : store.metrics(run_id)) {
        if (metric.key == "equiv_vectors") {
            found = found.value_or(CheckResult{});
            found->vectors = static_cast<int>(metric.value);
        } else if (metric.key == db::metric::kEquivMismatches) {
            found = found.value_or(CheckResult{});
            found->mismatches = static_cast<int>(metric.value);
        }
    }
    return found;
}

CheckResult check_stored_run(db::Store& store, const std::string& run_id,
                             const CheckOptions& options) {
    auto row = store.run(run_id);
    if (!row)
        throw InputError(input_error_message(
            "argument", 0, "run", "no run \"" + run_id + "\" in " + store.path().string()));
    if (row->kind != db::kKindToolchain)
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + run_id + " is a " + row->kind +
                                                 " run, not a toolchain run"));
    auto asc = store.artifact_bytes(run_id, db::artifact::kAsc);
    if (!asc)
        throw InputError(input_error_message(
            "argument", 0, "run", "run " + run_id + " (" + row->status + ") has no bitstream.asc"));
    auto config = nlohmann::json::parse(row->config_json);
    std::string_view text(reinterpret_cast<const char*>(asc->data()), asc->size());
    auto result = check_bitstream(text, board_from_config(config), options);
    for (const auto& metric : store.metrics(run_id))
        if (metric.key == "equiv_vectors")
            throw InputError(
                input_error_message("argument", 0, "run",
                                    "run " + run_id + " already has an equivalence check (" +
                                        std::to_string(static_cast<long long>(metric.value)) +
                                        " vectors); a stored result is never replaced"));
    db::RunResult findings; // only what the check adds: the observation itself stays as it is
    add_to_run(findings, result);
    store.annotate_run(run_id, findings);
    return result;
}

} // namespace detlab::equiv
