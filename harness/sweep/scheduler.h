// Private to the sweep: the order in which a sweep's worker threads take its pending runs.
#pragma once

#include "harness/sweep/sweep.h"

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace detlab::sweep {

// The domain of a planned run's kind (the experiment was validated against `domains`).
const Domain& find_domain(const std::vector<Domain>& domains, const std::string& kind);

// Whether the sweep's cancel flag (Ctrl-C, a signal) is set.
bool cancelled(const RunOptions& options);

// Hands out runs in plan order, holding back the followers of a setup group until its leader
// (the first of the group to start) has stored the shared step or finished.
class Scheduler {
public:
    Scheduler(std::vector<const PlannedRun*> pending, const std::vector<Domain>& domains,
              const RunOptions& options);

    // The next run to start, or null when nothing is left (or the sweep is cancelled).
    // `store` is the calling worker's connection, used to see whether a leader's step is stored.
    const PlannedRun* next(db::Store& store);

    void finished(const PlannedRun* run);

    // Another process holds `run`: hand it out again later (when that process has finished
    // it, the worker that takes it finds it done). It no longer leads its setup group.
    void defer(const PlannedRun* run);

    int not_started() const;

private:
    struct GroupState {
        bool released = false;
    };

    bool probe(std::size_t i, db::Store& store);

    std::vector<const PlannedRun*> pending_;
    std::vector<std::string> groups_;     // kind and setup group; empty: none
    std::vector<std::string> setup_keys_; // the domain's setup group, as its probe knows it
    std::vector<const std::function<bool(const db::Store&, const std::string&)>*> probes_;
    std::vector<bool> taken_;
    std::vector<double> retry_at_; // monotonic time before which a deferred run waits
    std::map<const PlannedRun*, std::size_t> index_;
    std::map<std::string, const PlannedRun*> leaders_;
    std::map<std::string, GroupState> groups_state_;
    std::map<const PlannedRun*, std::string> group_of_;
    const RunOptions& options_;
    std::mutex mutex_;
    std::condition_variable changed_;
};

} // namespace detlab::sweep
