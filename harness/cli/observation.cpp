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

int announce_observation(const std::string& db_path, const std::string& experiment,
                         const std::string& config_id, int requested) {
    db::Store store(db_path);
    std::string filed_under = experiment.empty() ? std::string("adhoc") : experiment;
    int repeat = requested >= 0 ? requested : store.next_repeat(filed_under, config_id);
    auto earlier = store.observation_count(config_id);
    if (earlier > 0)
        std::printf("configuration %s: %lld earlier observation%s in %s; adding another "
                    "(experiment %s, repeat %d)\n",
                    config_id.c_str(), static_cast<long long>(earlier), earlier == 1 ? "" : "s",
                    db_path.c_str(), filed_under.c_str(), repeat);
    return repeat;
}

} // namespace detlab::cli
