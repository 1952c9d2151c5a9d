// Private to harness/sweep: what a sweep prints while it runs. On a terminal one status line is
// redrawn (counts, failures, ETA); otherwise every start and finish is a plain log line.
#pragma once

#include "harness/sweep/sweep.h"

#include <mutex>
#include <ostream>

namespace detlab::sweep {

class Progress {
public:
    Progress(std::ostream* out, bool bar, int total);
    void started(const PlannedRun& run);
    void finished(const PlannedRun& run, const std::string& status, double seconds,
                  const std::string& message);
    // A run that was not started after all (another process recorded it meanwhile).
    void skipped(const PlannedRun& run, const std::string& why);
    void note(const std::string& line);
    // A running run reached step `step` of `steps` (a training epoch): shown in the bar as the
    // latest step of any run, or as a log line.
    void step(const PlannedRun& run, int step, int steps);
    void close();

private:
    void draw();
    std::string eta() const;

    std::mutex mutex_;
    std::ostream* out_;
    bool bar_;
    int total_, done_ = 0, failed_ = 0, running_ = 0;
    double start_;
    bool drawn_ = false;
    std::string last_step_;
};

// While alive, report_step() on this thread goes to `progress` for `run`: the runner opens one
// around each run, and a domain's run function reports its steps without knowing the sweep.
class StepScope {
public:
    StepScope(Progress& progress, const PlannedRun& run);
    ~StepScope();
    StepScope(const StepScope&) = delete;
    StepScope& operator=(const StepScope&) = delete;
};
void report_step(int step, int steps); // a no-op outside a StepScope

// "seed=3", "repeat=1", "seed=1 threads=2" for a grid point.
std::string describe_point(const PlannedRun& run);

} // namespace detlab::sweep
