// Opening the database: for reading (it must exist), and what `detlab synth` and `detlab train`
// say before they add an observation.
#include "db/store.h"
#include "harness/cli/cli.h"

#include <cstdio>

namespace detlab::cli {

db::Store open_existing_store(const GlobalOptions& global) {
    if (!std::filesystem::exists(global.db_path))
        throw InputError(global.db_path + ": no such database");
    return db::Store(global.db_path);
}

AdHocObservation begin_ad_hoc_observation(const GlobalOptions& global,
                                          const std::string& experiment, int requested_repeat,
                                          const std::function<std::string()>& check) {
    AdHocObservation begun;
    begun.config_id = check(); // InputError (exit 2) here leaves no file
    begun.store = std::make_unique<db::Store>(global.db_path);
    begun.context.store = begun.store.get();
    begun.context.experiment = experiment;
    std::string filed_under = experiment.empty() ? std::string("adhoc") : experiment;
    begun.next_free_repeat = requested_repeat < 0;
    begun.repeat = requested_repeat >= 0 ? requested_repeat
                                         : begun.store->next_repeat(filed_under, begun.config_id);
    auto earlier = begun.store->observation_count(begun.config_id);
    if (earlier > 0)
        std::printf("configuration %s: %lld earlier observation%s in %s; adding another "
                    "(experiment %s, repeat %d)\n",
                    begun.config_id.c_str(), static_cast<long long>(earlier),
                    earlier == 1 ? "" : "s", global.db_path.c_str(), filed_under.c_str(),
                    begun.repeat);
    return begun;
}

void record_ad_hoc_observation(AdHocObservation& begun, db::RunResult& result) {
    if (!begun.next_free_repeat) {
        begun.store->record_run(result);
        return;
    }
    int announced = result.repeat;
    begun.repeat = begun.store->record_run_next_repeat(result);
    if (begun.repeat != announced)
        std::printf("filed as repeat %d: another process stored repeat %d of this configuration "
                    "first\n",
                    begun.repeat, announced);
}

} // namespace detlab::cli
