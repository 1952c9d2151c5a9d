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
};

// "seed=3", "repeat=1", "seed=1 threads=2" for a grid point.
std::string describe_point(const PlannedRun& run);

} // namespace detlab::sweep
