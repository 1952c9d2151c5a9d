// The sweep's scheduler: which pending run a worker thread takes next.
#include "harness/sweep/scheduler.h"

#include "harness/invariant/invariant.h"

#include <algorithm>

namespace detlab::sweep {

const Domain& find_domain(const std::vector<Domain>& domains, const std::string& kind) {
    auto found = std::find_if(domains.begin(), domains.end(),
                              [&](const Domain& domain) { return domain.kind == kind; });
    // The experiment's studies were validated against these domains when it was read.
    DETLAB_ASSERT(found != domains.end(), "no domain \"" + kind + "\"");
    return *found;
}

bool cancelled(const RunOptions& options) {
    return options.cancel && options.cancel->load();
}

Scheduler::Scheduler(std::vector<const PlannedRun*> pending, const std::vector<Domain>& domains,
                     const RunOptions& options)
    : pending_(std::move(pending)), options_(options) {
    for (const auto* run : pending_) {
        const auto& domain = find_domain(domains, run->kind);
        std::string group = domain.setup_group ? domain.setup_group(run->config) : "";
        setup_keys_.push_back(group);
        groups_.push_back(group.empty() ? group : run->kind + "\n" + group);
        probes_.push_back(&domain.setup_stored);
    }
    taken_.assign(pending_.size(), false);
    retry_at_.assign(pending_.size(), 0.0);
    for (std::size_t i = 0; i < pending_.size(); ++i)
        index_[pending_[i]] = i;
}

const PlannedRun* Scheduler::next(db::Store& store) {
    std::unique_lock lock(mutex_);
    while (true) {
        if (cancelled(options_))
            return nullptr;
        bool any_left = false, waiting = false;
        for (std::size_t i = 0; i < pending_.size(); ++i) {
            if (taken_[i])
                continue;
            any_left = true;
            if (retry_at_[i] > monotonic_seconds()) {
                waiting = true;
                continue;
            }
            const std::string& group = groups_[i];
            auto state = groups_state_.find(group);
            if (!group.empty() && state != groups_state_.end() && !state->second.released)
                state->second.released = probe(i, store);
            if (!group.empty() && state != groups_state_.end() && !state->second.released) {
                waiting = true;
                continue;
            }
            taken_[i] = true;
            if (!group.empty() && state == groups_state_.end()) {
                groups_state_[group] = {false}; // this run leads its group
                leaders_[group] = pending_[i];
            }
            group_of_[pending_[i]] = group;
            return pending_[i];
        }
        if (!any_left)
            return nullptr;
        // Wake up now and then to notice cancellation (signal handlers cannot notify) and
        // to probe whether a leader has stored its shared step.
        changed_.wait_for(lock, std::chrono::milliseconds(waiting ? 100 : 200));
    }
}

void Scheduler::finished(const PlannedRun* run) {
    std::lock_guard lock(mutex_);
    auto group = group_of_[run];
    if (!group.empty())
        groups_state_[group].released = true; // any finished run releases its group
    changed_.notify_all();
}

void Scheduler::defer(const PlannedRun* run) {
    std::lock_guard lock(mutex_);
    std::size_t i = index_.at(run);
    taken_[i] = false;
    retry_at_[i] = monotonic_seconds() + 0.5;
    auto group = group_of_[run];
    if (!group.empty() && leaders_[group] == run) {
        groups_state_.erase(group);
        leaders_.erase(group);
    }
    changed_.notify_all();
}

int Scheduler::not_started() const {
    int count = 0;
    for (bool taken : taken_)
        count += taken ? 0 : 1;
    return count;
}

bool Scheduler::probe(std::size_t i, db::Store& store) {
    if (!*probes_[i])
        return false;
    try {
        return (*probes_[i])(store, setup_keys_[i]);
    } catch (const std::runtime_error&) {
        // The store's SQLite errors (SQLite::Exception, e.g. busy): ask again later. An
        // InternalError (a logic_error) goes on to the worker's guard and stops the sweep.
        return false;
    }
}

} // namespace detlab::sweep
