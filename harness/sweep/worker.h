// Private to the sweep: one planned run executed by its domain and completed with what the
// sweep owns (identity, study params, provenance), ready to be recorded.
#pragma once

#include "harness/sweep/progress.h"
#include "harness/sweep/sweep.h"

#include <filesystem>
#include <string>
#include <vector>

namespace detlab::sweep {

// Executes planned runs in this process's session directory of the work root. It holds no
// state that changes, so the sweep's worker threads share one.
class Worker {
public:
    Worker(const Experiment& experiment, const std::vector<Domain>& domains,
           const RunOptions& options, const std::filesystem::path& session)
        : experiment_(experiment), domains_(domains), options_(options), session_(session) {}

    // Runs one planned run; the result is complete but not yet recorded.
    db::RunResult execute(const PlannedRun& run, const std::string& config_id, db::Store& store,
                          Progress& progress);

private:
    const Experiment& experiment_;
    const std::vector<Domain>& domains_;
    const RunOptions& options_;
    std::filesystem::path session_; // this process's own directory in the work root
};

} // namespace detlab::sweep
