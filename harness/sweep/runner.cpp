// The sweep runner: a queue of pending runs, N worker threads with their own store connection,
// and a rule that the first run of a setup group finishes before the rest of it start.
#include "harness/invariant/invariant.h"
#include "harness/sweep/outcome.h"
#include "harness/sweep/progress.h"
#include "harness/sweep/sweep.h"
#include "harness/sweep/workspace.h"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

namespace detlab::sweep {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};

extern "C" void on_cancel_signal(int signal) {
    g_signal.store(signal);
    g_cancel.store(true);
}

const Domain& find_domain(const std::vector<Domain>& domains, const std::string& kind) {
    auto found = std::find_if(domains.begin(), domains.end(),
                              [&](const Domain& domain) { return domain.kind == kind; });
    // The experiment's studies were validated against these domains when it was read.
    DETLAB_ASSERT(found != domains.end(), "no domain \"" + kind + "\"");
    return *found;
}

// A run whose result could not be stored for a reason of the machine's (disk full, store
// locked): shown in the progress, counted in SweepSummary::unrecorded, redone next time.
constexpr const char* kStatusUnrecorded = "not recorded";

bool cancelled(const RunOptions& options) {
    return options.cancel && options.cancel->load();
}

// Hands out runs in plan order, holding back the followers of a setup group until its leader
// (the first of the group to start) has stored the shared step or finished.
class Scheduler {
public:
    Scheduler(std::vector<const PlannedRun*> pending, const std::vector<Domain>& domains,
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

    // The next run to start, or null when nothing is left (or the sweep is cancelled).
    // `store` is the calling worker's connection, used to see whether a leader's step is stored.
    const PlannedRun* next(db::Store& store) {
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

    void finished(const PlannedRun* run) {
        std::lock_guard lock(mutex_);
        auto group = group_of_[run];
        if (!group.empty())
            groups_state_[group].released = true; // any finished run releases its group
        changed_.notify_all();
    }

    // Another process holds `run`: hand it out again later (when that process has finished
    // it, the worker that takes it finds it done). It no longer leads its setup group.
    void defer(const PlannedRun* run) {
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

    int not_started() const {
        int count = 0;
        for (bool taken : taken_)
            count += taken ? 0 : 1;
        return count;
    }

private:
    struct GroupState {
        bool released = false;
    };

    bool probe(std::size_t i, db::Store& store) {
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

std::string param_text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

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
            result.add_param(key, param_text(value));
    result.add_param("study", run.study);
    result.add_param("factor", run.factor);
    result.add_param("factor_value", run.factor_value.dump());
    for (auto& [key, value] : observation::capture_provenance())
        result.provenance.emplace(key, value);
}

// Each study's slots in this shard as the store holds them now, from this invocation or an
// earlier one: a slot is done when any observation of it is, failed when all of its are not.
std::vector<StudyOutcome> study_outcomes(const db::Store& store, const std::string& experiment,
                                         const std::vector<PlannedRun>& mine,
                                         const std::map<const PlannedRun*, std::string>& ids) {
    std::map<std::pair<std::string, int>, std::vector<const db::RunRow*>> slots;
    db::RunFilter filter;
    filter.experiment = experiment;
    auto rows = store.runs(filter); // oldest first
    for (const auto& row : rows)
        slots[{row.config_id, row.repeat}].push_back(&row);
    std::vector<StudyOutcome> outcomes;
    for (const auto& run : mine) {
        auto it = std::find_if(outcomes.begin(), outcomes.end(),
                               [&](const StudyOutcome& o) { return o.study == run.study; });
        if (it == outcomes.end())
            it = outcomes.insert(outcomes.end(), StudyOutcome{run.study, 0, 0, 0, ""});
        ++it->runs;
        auto slot = slots.find({ids.at(&run), run.repeat});
        if (slot == slots.end())
            continue; // not run (cancelled)
        const auto& observations = slot->second;
        if (std::any_of(observations.begin(), observations.end(),
                        [](const db::RunRow* row) { return row->status == db::kStatusDone; })) {
            ++it->done;
            continue;
        }
        if (++it->failed == 1)
            it->first_failure = observations.back()->status + ": " + observations.back()->message;
    }
    return outcomes;
}

class Worker {
public:
    Worker(const Experiment& experiment, const std::vector<Domain>& domains,
           const RunOptions& options, const std::filesystem::path& session)
        : experiment_(experiment), domains_(domains), options_(options), session_(session) {}

    // Runs one planned run; the result is complete but not yet recorded.
    db::RunResult execute(const PlannedRun& run, const std::string& config_id, db::Store& store,
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

private:
    const Experiment& experiment_;
    const std::vector<Domain>& domains_;
    const RunOptions& options_;
    std::filesystem::path session_; // this process's own directory in the work root
};

} // namespace

const std::atomic<bool>& install_cancel_handlers() {
    struct sigaction action {};
    action.sa_handler = on_cancel_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND; // a second Ctrl-C kills the process the usual way
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return g_cancel;
}

int last_signal() {
    return g_signal.load();
}

SweepSummary run_sweep(const Experiment& experiment, const std::vector<Domain>& domains,
                       const RunOptions& options) {
    double start = monotonic_seconds();
    SweepSummary summary;
    summary.planned = static_cast<int>(experiment.runs.size());
    auto mine = shard_runs(experiment.runs, options.shard);
    summary.in_shard = static_cast<int>(mine.size());
    // Identities first: a missing input (an RTL file, the data set) is an InputError before the
    // store is opened or anything is written.
    std::map<const PlannedRun*, std::string> config_ids;
    for (const auto& run : mine) {
        const Domain& domain = find_domain(domains, run.kind);
        config_ids[&run] = domain.identity ? domain.identity(run.config)
                                           : db::configuration_id(run.kind, run.config.dump());
    }
    std::set<std::string> checked;
    for (const auto& run : mine) {
        const Domain& domain = find_domain(domains, run.kind);
        if (domain.preflight && checked.insert(run.kind + "\n" + run.config.dump()).second) {
            try {
                domain.preflight(run.config);
            } catch (const InputError& error) {
                throw InputError(experiment.file + ": study " + run.study + ": " + error.what());
            }
        }
    }

    // The work root first: a bad --work-dir is refused before anything is written.
    WorkRoot work_root(options.work_root.empty()
                           ? std::filesystem::path(options.db_path.string() + ".work")
                           : options.work_root);
    db::Store store(options.db_path);
    store.put_experiment(experiment.name, experiment.source);
    std::vector<const PlannedRun*> pending;
    std::map<std::string, std::size_t> planned_observations;
    for (const auto& run : mine) {
        auto statuses = store.slot_statuses(experiment.name, config_ids[&run], run.repeat);
        if (std::find(statuses.begin(), statuses.end(), db::kStatusDone) != statuses.end())
            ++summary.already_done;
        else if (!statuses.empty() && !options.retry_failed)
            ++summary.earlier_failed;
        else
            pending.push_back(&run); // a retry is a new observation: the failed one stays
        planned_observations[run.id] = statuses.size(); // the slot as seen now
    }
    Progress progress(options.log, options.progress_bar, static_cast<int>(pending.size()),
                      static_cast<std::size_t>(std::max(options.terminal_columns, 20)));
    Scheduler scheduler(pending, domains, options);
    Worker worker(experiment, domains, options, work_root.session());
    std::mutex summary_mutex;

    auto work = [&] {
        db::Store connection(options.db_path); // one connection per thread
        while (const PlannedRun* run = scheduler.next(connection)) {
            // Another detlab on this store and work root may be running the same experiment:
            // only the holder of a run's claim executes it, and it looks again whether the
            // run was recorded meanwhile (by that other process).
            auto claim = work_root.claim(run->id);
            if (!claim) {
                scheduler.defer(run);
                continue;
            }
            if (connection.slot_statuses(experiment.name, config_ids.at(run), run->repeat).size() !=
                planned_observations.at(run->id)) {
                progress.skipped(*run, "recorded meanwhile by another detlab");
                std::lock_guard lock(summary_mutex);
                ++summary.done_elsewhere;
                scheduler.finished(run);
                continue;
            }
            progress.started(*run);
            double run_start = monotonic_seconds();
            // No room on the store's disk: the run could not be recorded, so it is not started.
            std::string unrecorded = no_room_to_run(options.db_path, work_root.session());
            db::RunResult result;
            if (unrecorded.empty())
                result = worker.execute(*run, config_ids.at(run), connection, progress);
            std::string status = result.status;
            // A run cut short by cancellation is not recorded: the next invocation redoes it.
            bool keep = unrecorded.empty() && !(cancelled(options) && status != db::kStatusDone);
            bool recorded = false;
            if (keep)
                unrecorded = machine_failure(result, options.db_path, work_root.session());
            if (keep && unrecorded.empty()) {
                try {
                    connection.record_run(result);
                    recorded = true;
                } catch (const std::runtime_error& error) {
                    // SQLite, file-system and compression errors of the store; a failed
                    // DETLAB_ASSERT (InternalError) goes on to the worker's guard.
                    unrecorded = std::string("could not record the run: ") + error.what();
                }
            }
            if (!unrecorded.empty()) {
                status = kStatusUnrecorded;
                result.message = unrecorded;
            } else if (!keep) {
                status = "cancelled";
            }
            progress.finished(*run, status, monotonic_seconds() - run_start, result.message,
                              recorded ? result.id : "");
            {
                std::lock_guard lock(summary_mutex);
                if (!unrecorded.empty()) {
                    if (summary.unrecorded++ == 0)
                        summary.first_unrecorded = unrecorded;
                } else if (status == db::kStatusDone) {
                    ++summary.done;
                } else if (keep) {
                    ++summary.failed;
                } else {
                    ++summary.not_started;
                }
            }
            scheduler.finished(run);
        }
    };
    std::exception_ptr first_error;
    auto guarded_work = [&] {
        try {
            work();
        } catch (...) {
            // Broad on purpose: an exception must not leave a worker thread (std::terminate).
            // The first one, InternalError included, is rethrown once every worker has joined.
            std::lock_guard lock(summary_mutex);
            if (!first_error)
                first_error = std::current_exception();
        }
    };
    int jobs = std::max(1, std::min(options.jobs, static_cast<int>(pending.size())));
    std::vector<std::thread> threads;
    for (int i = 1; i < jobs; ++i)
        threads.emplace_back(guarded_work);
    guarded_work();
    for (auto& thread : threads)
        thread.join();
    if (first_error)
        std::rethrow_exception(first_error);
    progress.close();
    summary.studies = study_outcomes(store, experiment.name, mine, config_ids);
    summary.not_started += scheduler.not_started();
    summary.cancelled = cancelled(options);
    summary.wall_seconds = monotonic_seconds() - start;
    return summary;
}

} // namespace detlab::sweep
