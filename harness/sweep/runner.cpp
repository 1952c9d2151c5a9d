// The sweep runner: a queue of pending runs, N worker threads with their own store connection,
// and a rule that the first run of a setup group finishes before the rest of it start.
// The scheduler (scheduler.cpp) orders the runs; the worker (worker.cpp) executes one.
#include "harness/invariant/invariant.h"
#include "harness/sweep/outcome.h"
#include "harness/sweep/progress.h"
#include "harness/sweep/scheduler.h"
#include "harness/sweep/sweep.h"
#include "harness/sweep/worker.h"
#include "harness/sweep/workspace.h"

#include <algorithm>
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

// A run whose result could not be stored for a reason of the machine's (disk full, store
// locked): shown in the progress, counted in SweepSummary::unrecorded, redone next time.
constexpr const char* kStatusUnrecorded = "not recorded";

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
