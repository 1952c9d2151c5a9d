// The proof recorded on a stored run, beside the simulation's check (which it never replaces):
// the artifact equiv_proof.json and the metric equiv_proof_wall_s.
#include "harness/equiv/equiv.h"
#include "harness/invariant/invariant.h"
#include "harness/toolchain/toolchain.h"

namespace detlab::equiv {

nlohmann::json proof_json(const ProofResult& proof, const std::optional<StoredVerdict>& simulated,
                          double time_limit_s) {
    // What the run's evidence says with the proof added: a proof decides; an unfinished one
    // leaves the simulation's verdict standing.
    std::string result;
    if (proof.outcome == ProofOutcome::proved)
        result = verdict_name(Verdict::proved);
    else if (proof.outcome == ProofOutcome::differs)
        result = verdict_name(Verdict::differs);
    else
        result = simulated ? verdict_name(simulated->verdict) : verdict_name(Verdict::not_checked);
    nlohmann::json j{{"result", result},
                     {"method", "proof"},
                     {"proof", proof_outcome_name(proof.outcome)},
                     {"flip_flops", proof.flip_flops},
                     {"rams", proof.rams},
                     {"compare_points", proof.compare_points},
                     {"time_limit_s", time_limit_s},
                     {"wall_s", proof.wall_s}};
    if (!proof.reason.empty())
        j["reason"] = proof.reason;
    if (!proof.differing.empty()) {
        j["differing"] = proof.differing;
        j["counterexample_ones"] = proof.counterexample;
    }
    if (simulated)
        j["simulation"] = describe(*simulated);
    return j;
}

namespace {

// Proves one build's bitstream against its synthesised netlist and adds equiv_proof.json and
// equiv_proof_wall_s to `findings` (a difference also to its message, so it cannot be missed).
ProofResult prove_into(db::RunResult& findings, const Bytes& asc, const Bytes& netlist,
                       const nlohmann::json& config, const std::optional<StoredVerdict>& simulated,
                       const ProofOptions& options) {
    auto synthesised = nlohmann::json::parse(netlist.begin(), netlist.end());
    std::string_view text(reinterpret_cast<const char*>(asc.data()), asc.size());
    auto proof = prove_against_synthesis(
        text, board_from_config(config).pcf, synthesised,
        config.value("top", std::string(toolchain::kAcceleratorTop)), options);
    std::string json = proof_json(proof, simulated, options.time_limit_s).dump();
    findings.add_artifact(kProofArtifact, Bytes(json.begin(), json.end()));
    findings.add_metric(kProofWallMetric, proof.wall_s);
    if (proof.outcome == ProofOutcome::differs) {
        std::string line = "EQUIVALENCE PROOF FAILED: " + proof.reason;
        findings.message = findings.message.empty() ? line : findings.message + "; " + line;
    }
    return proof;
}

} // namespace

void prove_toolchain_run(db::RunResult& run, const nlohmann::json& config,
                         const ProofOptions& options) {
    const db::Artifact* asc = run.find_artifact(db::artifact::kAsc);
    const db::Artifact* netlist = run.find_artifact(db::artifact::kNetlist);
    if (!asc || !netlist || options.time_limit_s <= 0)
        return;
    // A partial configuration (defaults left out) falls back to the run's completed one.
    auto completed = config.contains("device") ? config : nlohmann::json::parse(run.config_json);
    auto simulated = run_verdict(run);
    if (auto family = toolchain::device_family(completed.value("device", std::string("hx1k")));
        family != "ice40") { // issue 27: no bitstream-to-netlist reader for ECP5 or Gowin here
        ProofResult skipped;
        skipped.reason = family == "gowin" ? kGowinNotChecked : kEcp5NotChecked;
        std::string json = proof_json(skipped, simulated, options.time_limit_s).dump();
        run.add_artifact(kProofArtifact, Bytes(json.begin(), json.end()));
        return;
    }
    ProofOptions own = options;
    if (!own.work_dir.empty()) // concurrent sweep workers may share work_dir
        own.work_dir /= run.id.empty() ? "run" : run.id;
    try {
        prove_into(run, asc->bytes, netlist->bytes, completed, simulated, own);
    } catch (const InternalError&) {
        throw; // a bug in the proof, never a verdict
    } catch (const std::exception& error) {
        // A proof that cannot run never fails the build: recorded as unfinished, with why.
        ProofResult failed;
        failed.reason = std::string("the proof could not run: ") + error.what();
        std::string json = proof_json(failed, simulated, options.time_limit_s).dump();
        run.add_artifact(kProofArtifact, Bytes(json.begin(), json.end()));
    }
    if (!own.work_dir.empty())
        std::filesystem::remove_all(own.work_dir);
}

ProofResult prove_stored_run(db::Store& store, const std::string& run_id,
                             const ProofOptions& options) {
    auto row = store.run(run_id);
    if (!row)
        throw InputError(input_error_message(
            "argument", 0, "run", "no run \"" + run_id + "\" in " + store.path().string()));
    if (db::run_kind(row->kind) != db::RunKind::toolchain)
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + run_id + " is a " + row->kind +
                                                 " run, not a toolchain run"));
    if (store.artifact_bytes(run_id, kProofArtifact))
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + run_id + " already holds a proof (" +
                                                 kProofArtifact + "); it is kept"));
    auto asc = store.artifact_bytes(run_id, db::artifact::kAsc);
    auto netlist = store.artifact_bytes(run_id, db::artifact::kNetlist);
    if (!asc || !netlist)
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + run_id + " (" + row->status +
                                                 ") has no bitstream.asc and netlist.json"));
    auto config = nlohmann::json::parse(row->config_json);
    if (auto family = toolchain::device_family(config.value("device", std::string("hx1k")));
        family != "ice40") // issue 27: family
        throw InputError(input_error_message(
            "argument", 0, "run",
            "run " + run_id + " is an " + (family == "gowin" ? "Gowin" : "ECP5") +
                " build: " + (family == "gowin" ? kGowinNotChecked : kEcp5NotChecked)));
    db::RunResult findings; // only what the proof adds: the observation itself stays as it is
    auto proof = prove_into(findings, *asc, *netlist, config, stored_check(store, run_id), options);
    store.annotate_run(run_id, findings);
    return proof;
}

} // namespace detlab::equiv
