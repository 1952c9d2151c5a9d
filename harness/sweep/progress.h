// Private to harness/sweep: what a sweep prints while it runs. On a terminal one status line is
// redrawn every second (counts, ETA, each active run's stage and elapsed time); otherwise every
// start, stage change and finish is a plain log line. Worker threads only update the state
// here; the lines are written under its mutex, by the caller or by the ticker thread.
#pragma once

#include "harness/sweep/sweep.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string_view>
#include <thread>

namespace detlab::sweep {

// One run that has started and not finished, as the progress display sees it.
struct ActiveRun {
    std::string id, kind;
    std::string stage;  // empty until the run reports its first stage
    double started = 0; // clock time the run started
};

struct ProgressCounts {
    int total = 0, done = 0, failed = 0;
    double start = 0; // clock time the sweep started
};

// "7s", "2m05s", "1h02m".
std::string format_duration(double seconds);
// The terminal's status line at clock time `now`, at most `width` - 1 characters (a line as wide
// as the terminal wraps on some, and the next \r would then redraw below it).
std::string format_status_line(const ProgressCounts& counts, const std::vector<ActiveRun>& active,
                               double now, std::size_t width);
// The plain log line written when `run` enters its stage (off a terminal).
std::string format_stage_line(const ActiveRun& run, double now);

class Progress {
public:
    using Clock = std::function<double()>;
    // `bar`: `out` is a terminal `width` columns wide; a ticker thread redraws the line every
    // `tick` (zero: only on events, for tests). `clock` gives seconds (monotonic_seconds).
    Progress(std::ostream* out, bool bar, int total, std::size_t width = 80,
             std::chrono::milliseconds tick = std::chrono::seconds(1), Clock clock = {});
    ~Progress(); // stops and joins the ticker
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void started(const PlannedRun& run);
    // `run` entered `stage` ("yosys (synthesis)", "epoch 3/20"): called from the run's thread.
    void stage(const PlannedRun& run, std::string_view stage);
    // `recorded_id`: the id of the stored run (what detlab runs, equiv and export take), shown
    // instead of the slot when the run was recorded. A failure shows its message's first line
    // and the tool's ERROR lines (at most kMessageLines), control characters made visible.
    void finished(const PlannedRun& run, const std::string& status, double seconds,
                  const std::string& message, const std::string& recorded_id = "");
    // A run that was not started after all (another process recorded it meanwhile).
    void skipped(const PlannedRun& run, const std::string& why);
    void note(const std::string& line);
    void redraw(); // what the ticker does each tick (terminal only)
    void close();  // stops the ticker and ends the status line

private:
    void draw();
    void stop_ticker();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::ostream* out_;
    bool bar_;
    std::size_t width_;
    Clock clock_;
    ProgressCounts counts_;
    std::vector<ActiveRun> active_; // in start order
    bool drawn_ = false, stopping_ = false;
    std::thread ticker_;
};

// "seed=3", "repeat=1", "seed=1 threads=2" for a grid point.
std::string describe_point(const PlannedRun& run);

} // namespace detlab::sweep
