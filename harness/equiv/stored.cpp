// The check wired into builds (sweep hook, detlab synth) and applied to stored runs.
#include "harness/equiv/equiv.h"
#include "harness/invariant/invariant.h"
#include "harness/toolchain/toolchain.h"

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

namespace {

CheckResult not_checked(const std::string& reason) {
    CheckResult result;
    result.verdict = Verdict::not_checked;
    result.reason = reason;
    return result;
}

// The check of one bitstream; a failure to run becomes a not_checked result (a bad input from
// the caller, InputError, still throws).
CheckResult checked_or_why(std::string_view asc, const Board& board, const CheckOptions& options) {
    try {
        return check_bitstream(asc, board, options);
    } catch (const InputError&) {
        throw;
    } catch (const InternalError&) {
        throw; // a bug in detlab is not a run's result
    } catch (const std::exception& error) {
        std::string why = error.what();
        if (why.size() > 300)
            why = why.substr(0, 300) + "...";
        return not_checked(why);
    }
}

DesignCheckOptions design_options(const CheckOptions& options) {
    DesignCheckOptions design;
    design.stimuli = options.vectors;
    design.cycles = options.cycles;
    design.seed = options.seed;
    design.clock = options.clock;
    design.hold = options.hold;
    return design;
}

// A design that is not the accelerator: its bitstream against the netlist its own synthesis
// wrote (netlist.json of the same run), under random stimulus.
CheckResult check_design_run(std::string_view asc, const Bytes* netlist,
                             const nlohmann::json& config, const CheckOptions& options) {
    std::string top = config.value("top", std::string());
    if (!netlist) {
        auto result = not_checked("the run stores no netlist.json to compare the bitstream with");
        result.method = kMethodRandomStimulus;
        return result;
    }
    auto synthesised = nlohmann::json::parse(netlist->begin(), netlist->end(), nullptr, false);
    if (synthesised.is_discarded()) {
        auto result = not_checked("the stored netlist.json is not JSON");
        result.method = kMethodRandomStimulus;
        return result;
    }
    auto result = check_against_synthesis(asc, board_from_config(config).pcf, synthesised, top,
                                          design_options(options));
    if (result.reason.size() > 300)
        result.reason = result.reason.substr(0, 300) + "...";
    return result;
}

// Either method, by the configuration's design; a bad input from the caller still throws.
CheckResult check_any(std::string_view asc, const Bytes* netlist, const nlohmann::json& config,
                      const CheckOptions& options) {
    if (builds_accelerator(config))
        return checked_or_why(asc, board_from_config(config), options);
    return check_design_run(asc, netlist, config, options);
}

} // namespace

bool builds_accelerator(const nlohmann::json& config) {
    return config.value("top", std::string(toolchain::kAcceleratorTop)) ==
           toolchain::kAcceleratorTop;
}

const char* const kEcp5NotChecked =
    "ECP5: no bitstream-to-netlist reader exists in Debian (Project Trellis's ecpunpack turns the "
    "bitstream back into nextpnr's textual configuration, not into a netlist, and nothing like "
    "icebox_vlog ships for ECP5); nextpnr's routed netlist is stored as routed.json but uses "
    "nextpnr's internal cells (TRELLIS_COMB, TRELLIS_FF), which no simulator here models";

const char* const kGowinNotChecked =
    "Gowin: not checked yet. gowin_unpack (apycula 0.17, in the trixie root) does turn a .fs "
    "back into a Verilog netlist of Gowin primitives (LUT4, DFF*, ALU, MUX2, IBUF/OBUF), but its "
    "ports are named by tile and wire (R17C47_IA), not by the design's; detlab does not yet map "
    "them through the .cst and simulate that netlist against the synthesised one. nextpnr's "
    "routed netlist is stored as routed.json";

void check_toolchain_run(db::RunResult& run, const nlohmann::json& config,
                         const CheckOptions& options) {
    // issue 27: family: an ECP5 or Gowin build is recorded as not checked, with the exact reason.
    auto device = config.contains("device")
                      ? config.at("device").get<std::string>()
                      : nlohmann::json::parse(run.config_json).value("device", std::string("hx1k"));
    if (auto family = toolchain::device_family(device); family != "ice40") {
        if (run.find_artifact(db::artifact::kBitstream) && options.vectors > 0) {
            auto result = not_checked(family == "gowin" ? kGowinNotChecked : kEcp5NotChecked);
            if (!builds_accelerator(config))
                result.method = kMethodRandomStimulus;
            add_to_run(run, result);
        }
        return;
    }
    const db::Artifact* asc = run.find_artifact(db::artifact::kAsc);
    if (!asc || options.vectors <= 0)
        return;
    // Concurrent sweep workers may pass the same work_dir: each run simulates in its own
    // directory, removed afterwards (a Verilator build is tens of megabytes).
    CheckOptions own = options;
    if (!own.work_dir.empty())
        own.work_dir /= run.id.empty() ? "run" : run.id;
    CheckResult result;
    try {
        std::string_view text(reinterpret_cast<const char*>(asc->bytes.data()), asc->bytes.size());
        // A partial configuration (defaults left out) falls back to the run's completed one.
        auto completed =
            config.contains("device") ? config : nlohmann::json::parse(run.config_json);
        const db::Artifact* netlist = run.find_artifact(db::artifact::kNetlist);
        result = check_any(text, netlist ? &netlist->bytes : nullptr, completed, own);
    } catch (const std::exception& error) {
        result = not_checked(error.what());
        if (!builds_accelerator(config))
            result.method = kMethodRandomStimulus;
    }
    if (!own.work_dir.empty())
        std::filesystem::remove_all(own.work_dir);
    add_to_run(run, result);
}

std::optional<StoredVerdict> verdict_from(const std::optional<nlohmann::json>& result_json,
                                          const std::map<std::string, double>& metrics) {
    std::optional<StoredVerdict> found;
    auto metric = [&](const char* key, double dflt) {
        auto it = metrics.find(key);
        return it == metrics.end() ? dflt : it->second;
    };
    if (metrics.contains(
            db::metric::kEquivVectors)) { // a check stored before equiv_result.json counts
        found = StoredVerdict{};          // by its equiv_mismatches
        found->vectors = static_cast<int>(metric(db::metric::kEquivVectors, 0));
        found->mismatches = static_cast<int>(metric(db::metric::kEquivMismatches, 0));
        found->verdict = found->mismatches > 0 ? Verdict::differs : Verdict::no_difference;
        found->rate_bound =
            metric(db::metric::kEquivRateBound,
                   found->mismatches > 0 ? double(found->mismatches) / std::max(found->vectors, 1)
                                         : mismatch_rate_bound(found->vectors));
        found->toggle_ff = metric(db::metric::kEquivToggleFf, -1);
        found->toggle_lut = metric(db::metric::kEquivToggleLut, -1);
    }
    if (result_json) {
        found = found.value_or(StoredVerdict{});
        std::string name = result_json->value("result", std::string());
        for (auto v :
             {Verdict::proved, Verdict::no_difference, Verdict::differs, Verdict::not_checked})
            if (verdict_name(v) == name)
                found->verdict = v;
        found->reason = result_json->value("reason", std::string());
    }
    return found;
}

std::optional<StoredVerdict> stored_check(const db::Store& store, const std::string& run_id) {
    std::map<std::string, double> metrics;
    for (const auto& m : store.metrics(run_id))
        metrics[m.key] = m.value;
    std::optional<nlohmann::json> json;
    if (auto bytes = store.artifact_bytes(run_id, db::artifact::kEquivResult))
        json = nlohmann::json::parse(bytes->begin(), bytes->end());
    return verdict_from(json, metrics);
}

std::optional<StoredVerdict> run_verdict(const db::RunResult& run) {
    std::map<std::string, double> metrics;
    for (const auto& m : run.metrics)
        metrics[m.key] = m.value;
    std::optional<nlohmann::json> json;
    if (const auto* a = run.find_artifact(db::artifact::kEquivResult))
        json = nlohmann::json::parse(a->bytes.begin(), a->bytes.end());
    return verdict_from(json, metrics);
}

CheckResult check_stored_run(db::Store& store, const std::string& run_id,
                             const CheckOptions& options) {
    auto row = store.run(run_id);
    if (!row)
        throw InputError(input_error_message(
            "argument", 0, "run", "no run \"" + run_id + "\" in " + store.path().string()));
    if (db::run_kind(row->kind) != db::RunKind::toolchain)
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + run_id + " is a " + row->kind +
                                                 " run, not a toolchain run"));
    auto asc = store.artifact_bytes(run_id, db::artifact::kAsc);
    if (!asc)
        throw InputError(input_error_message(
            "argument", 0, "run", "run " + run_id + " (" + row->status + ") has no bitstream.asc"));
    if (auto stored = stored_check(store, run_id))
        throw InputError(
            input_error_message("argument", 0, "run",
                                "run " + run_id + " already has an equivalence check (" +
                                    describe(*stored) + "); a stored result is never replaced"));
    auto config = nlohmann::json::parse(row->config_json);
    std::string_view text(reinterpret_cast<const char*>(asc->data()), asc->size());
    std::optional<Bytes> netlist;
    if (!builds_accelerator(config))
        netlist = store.artifact_bytes(run_id, db::artifact::kNetlist);
    auto result = check_any(text, netlist ? &*netlist : nullptr, config, options);
    db::RunResult findings; // only what the check adds: the observation itself stays as it is
    add_to_run(findings, result);
    store.annotate_run(run_id, findings);
    return result;
}

ExperimentCheck
check_experiment(db::Store& store, const std::string& experiment, const CheckOptions& options,
                 const std::function<void(const std::string&, const CheckResult*)>& on_run) {
    db::RunFilter filter;
    filter.experiment = experiment;
    filter.kind = db::kKindToolchain;
    ExperimentCheck summary;
    for (const auto& row : store.runs(filter)) {
        if (!store.artifacts(row.id).contains(db::artifact::kAsc))
            continue;
        ++summary.runs;
        if (stored_check(store, row.id)) {
            ++summary.already;
            if (on_run)
                on_run(row.id, nullptr);
            continue;
        }
        CheckResult result;
        try {
            result = check_stored_run(store, row.id, options);
        } catch (const db::BlobCorrupt& error) { // this run's data only: check the others
            summary.damaged.emplace_back(row.id, error.what());
            continue;
        }
        ++summary.checked;
        summary.differs += result.verdict == Verdict::differs;
        summary.not_checked += result.verdict == Verdict::not_checked;
        if (on_run)
            on_run(row.id, &result);
    }
    return summary;
}

} // namespace detlab::equiv
