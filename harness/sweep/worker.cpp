// The sweep's worker: one planned run through its domain, its failures kept as its result.
#include "harness/sweep/worker.h"

#include "harness/invariant/invariant.h"
#include "harness/sweep/scheduler.h"

#include <map>

namespace detlab::sweep {
namespace {

// Fills in what the sweep owns (identity, study params, provenance) around a domain's result.
void complete_result(db::RunResult& result, const PlannedRun& run, const Domain& domain,
                     const std::string& config_id, const std::string& experiment) {
    if (result.id.empty()) // a run that threw before the domain gave it an id
        result.id = db::new_observation_id();
    result.config_id = config_id;
    result.experiment = experiment;
    result.kind = domain.stored_kind.empty() ? run.kind : domain.stored_kind;
    result.config_json = run.config.dump();
    result.repeat = run.repeat;
    if (result.host.empty())
        result.host = host_name();
    std::map<std::string, bool> present;
    for (const auto& [key, value] : result.params)
        present[key] = true;
    for (const auto& [key, value] : run.config.items())
        if (!present.contains(key))
            result.add_param(key, observation::param_text(value));
    result.add_param(db::param::kStudy, run.study);
    result.add_param(db::param::kFactor, run.factor);
    result.add_param(db::param::kFactorValue, run.factor_value.dump());
    for (auto& [key, value] : observation::capture_provenance())
        result.provenance.emplace(key, value);
}

} // namespace

db::RunResult Worker::execute(const PlannedRun& run, const std::string& config_id, db::Store& store,
                              Progress& progress) {
    const Domain& domain = find_domain(domains_, run.kind);
    auto dir = session_ / run.id;
    observation::Context context{&store, dir, experiment_.name, options_.cancel, {}};
    context.on_stage = [&](std::string_view stage) {
        progress.stage(run, stage);
    };
    double started_at = unix_time_now();
    double start = monotonic_seconds();
    db::RunResult result;
    try {
        std::filesystem::create_directories(dir);
        result = domain.run(run.config, run.repeat, context);
        if (result.status == db::kStatusDone && domain.after_run)
            domain.after_run(result, run.config, context, experiment_);
    } catch (const InternalError&) {
        throw; // a bug in detlab is not a measurement: it stops the sweep, unrecorded
    } catch (const db::StoreUnavailable& error) { // the store, not the configuration
        result.status = db::kStatusFailed;
        result.message = std::string("the machine, not the configuration: ") + error.what();
    } catch (const std::exception& error) {
        // Broad on purpose: whatever a domain's run throws (InputError, a tool's or the
        // file system's runtime_error, a JSON type error) is that run's recorded failure,
        // and the sweep goes on. InternalError is rethrown above, before this.
        result.status = db::kStatusFailed;
        result.message = error.what();
    }
    if (result.started_at == 0)
        result.started_at = started_at;
    if (result.wall_seconds == 0)
        result.wall_seconds = monotonic_seconds() - start;
    complete_result(result, run, domain, config_id, experiment_.name);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return result;
}

} // namespace detlab::sweep
