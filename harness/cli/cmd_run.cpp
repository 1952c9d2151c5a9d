// `detlab run FILE`: runs an experiment file (see docs/experiments.md).
#include "harness/cli/cli.h"
#include "harness/equiv/equiv.h"
#include "harness/sweep/sweep.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sys/ioctl.h>
#include <unistd.h>

namespace detlab::cli {
namespace {

struct RunArgs {
    std::string file;
    int jobs = 1;
    bool retry_failed = false;
    std::string shard;
    std::string work_dir;
    bool list = false;
    bool no_progress = false;
    int equiv_vectors = -1;
};

sweep::Shard chosen_shard(const RunArgs& args) {
    if (!args.shard.empty())
        return sweep::parse_shard(args.shard);
    return sweep::shard_from_environment().value_or(sweep::Shard{});
}

// One line per planned run: its slot (what shards split), its configuration's identity (what
// a resume and the analysis match stored observations by), study, repeat index and point.
// Streamed: each run is printed as the plan is expanded and then forgotten, so a million runs
// cost no more memory than a few; a shard needs every run's id first (a second pass keeps
// only those).
void list_runs(const std::string& file, sweep::Shard shard) {
    const auto& domains = sweep::builtin_domains();
    std::vector<std::string> ids;
    if (shard.count > 1) {
        sweep::plan_experiment_file(file, domains,
                                    [&](sweep::PlannedRun&& run) { ids.push_back(run.id); });
        std::sort(ids.begin(), ids.end());
    }
    // The header with the first run: a plan refused after it is counted prints nothing.
    bool headed = false;
    // The plan streams, so widths are fixed in advance; a longer value (a study name of 20
    // characters or more) still keeps one space before the next column.
    auto column = [](const std::string& text, std::size_t width) {
        return text.size() + 1 >= width ? text + " " : text + std::string(width - text.size(), ' ');
    };
    auto print = [&](sweep::PlannedRun&& run) {
        if (!headed) {
            headed = true;
            std::cout << column("slot", 18) << column("configuration", 19) << column("kind", 11)
                      << column("study", 20) << column("repeat", 8) << "point\n";
        }
        if (shard.count > 1 && !sweep::in_shard(ids, run.id, shard))
            return;
        if (!std::cout)
            throw OutputClosed{}; // `| head`: the rest of the plan is not wanted
        std::string config_id;
        for (const auto& domain : domains)
            if (domain.kind == run.kind && domain.identity)
                config_id = domain.identity(run.config);
        std::cout << column(run.id, 18) << column(config_id, 19) << column(run.kind, 11)
                  << column(terminal_safe(run.study), 20) << column(std::to_string(run.repeat), 8)
                  << run.factor << "=" << terminal_safe(run.factor_value.dump()) << "\n";
    };
    auto experiment = sweep::plan_experiment_file(file, domains, print);
    for (const auto& note : experiment.notes) // optional studies this machine cannot run
        std::cerr << "detlab: " << note << "\n";
}

void print_summary(const sweep::Experiment& experiment, const sweep::SweepSummary& summary,
                   const std::string& db_path, sweep::Shard shard) {
    std::cout << "experiment " << experiment.name << ": " << summary.planned << " runs";
    if (shard.count > 1)
        std::cout << ", shard " << shard.index << "/" << shard.count << " has " << summary.in_shard;
    std::cout << " -> " << db_path << "\n"
              << "  already done " << summary.already_done << ", ran " << summary.done << " done + "
              << summary.failed << " failed";
    if (summary.done_elsewhere > 0)
        std::cout << ", " << summary.done_elsewhere
                  << " recorded meanwhile by another detlab on this database";
    if (summary.earlier_failed > 0)
        std::cout << ", skipped " << summary.earlier_failed
                  << " that failed before (--retry-failed retries them)";
    std::cout << std::fixed << std::setprecision(1) << ", " << summary.wall_seconds << " s\n";
}

int terminal_columns() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return 80;
}

// One line per study that lost runs; true when some study has no done run at all (then the
// sweep measured nothing there, and `detlab run` exits 1).
bool print_failed_studies(const sweep::SweepSummary& summary) {
    bool all_failed_somewhere = false;
    for (const auto& study : summary.studies) {
        if (study.failed == 0)
            continue;
        bool all = study.failed == study.runs;
        all_failed_somewhere |= all;
        // Its first line and the tool's first ERROR line: "yosys exit 1:" alone says nothing.
        std::string first;
        for (const auto& line : sweep::message_lines(study.first_failure, 2))
            first += (first.empty() ? "" : " ") + line;
        if (all)
            std::cout << "  study " << study.study << ": all " << study.runs
                      << " run(s) failed; first: " << first << "\n";
        else
            std::cout << "  study " << study.study << ": " << study.failed << " of " << study.runs
                      << " run(s) failed (" << study.done << " done); first: " << first << "\n";
    }
    if (all_failed_somewhere)
        std::cout << "  a study without a single done run measured nothing: `detlab runs "
                     "--status failed` lists the failures with their messages\n";
    return all_failed_somewhere;
}

// EX_TEMPFAIL of sysexits.h: the sweep is incomplete for a reason that may pass (a full disk, a
// held lock); running the same command again finishes it.
constexpr int kExitIncomplete = 75;

void run_command(const RunArgs& args, const GlobalOptions& global) {
    auto shard = chosen_shard(args);
    if (args.list) {
        list_runs(args.file, shard);
        return;
    }
    auto experiment = sweep::load_experiment(args.file, sweep::builtin_domains());
    for (const auto& note : experiment.notes) // optional studies this machine cannot run
        std::cerr << "detlab: " << note << "\n";
    // The check's vector count travels in the experiment, read here once: a malformed
    // $DETLAB_EQUIV_VECTORS is an input error now, not a failure of every build.
    if (args.equiv_vectors >= 0)
        experiment.equiv_vectors = args.equiv_vectors;
    else if (const char* text = std::getenv("DETLAB_EQUIV_VECTORS"); text && *text)
        experiment.equiv_vectors = equiv::vectors_from_environment();
    sweep::RunOptions options;
    options.db_path = sweep::shard_db_path(global.db_path, shard);
    options.work_root = args.work_dir;
    options.jobs = args.jobs;
    options.retry_failed = args.retry_failed;
    options.shard = shard;
    options.cancel = &sweep::install_cancel_handlers();
    options.log = &std::cerr;
    options.progress_bar = !args.no_progress && isatty(STDERR_FILENO);
    options.terminal_columns = terminal_columns();
    auto summary = sweep::run_sweep(experiment, sweep::builtin_domains(), options);
    print_summary(experiment, summary, options.db_path.string(), shard);
    if (summary.cancelled) {
        std::cout << "  interrupted: " << summary.not_started
                  << " run(s) not recorded; the same command resumes the sweep\n";
        int signal = sweep::last_signal();
        throw CLI::RuntimeError(128 + (signal > 0 ? signal : 2));
    }
    bool measured_nothing = print_failed_studies(summary);
    if (summary.unrecorded > 0) {
        // Not the configurations' failures: a Slurm task or a script must see that the sweep is
        // incomplete, and the same command redoes these runs.
        std::cout << "  not recorded: " << summary.unrecorded
                  << " run(s), because of the machine and not their configuration (first: "
                  << summary.first_unrecorded << "); the same command redoes them\n";
        std::cerr << "detlab: sweep incomplete: " << summary.unrecorded
                  << " run(s) could not be recorded\n";
        throw CLI::RuntimeError(kExitIncomplete);
    }
    if (measured_nothing)
        throw CLI::RuntimeError(1);
}

const Registration registration(20, [](CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<RunArgs>();
    auto* cmd = app.add_subcommand(
        "run", "run an experiment file: expand it into runs, skip those already done, run the "
               "rest N at a time into the database");
    cmd->add_option("file", args->file, "experiment file (TOML, see docs/experiments.md)")
        ->required();
    cmd->add_option("-j,--jobs", args->jobs, "runs at a time")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    add_db_option(*cmd, global);
    cmd->add_flag("--retry-failed", args->retry_failed,
                  "run again the runs that failed or timed out before");
    cmd->add_option("--shard", args->shard,
                    "I/N: run only shard I (0-based) of N into <db>.shard-I.db "
                    "(default: from SLURM_ARRAY_TASK_ID/COUNT when set)");
    cmd->add_option("--work-dir", args->work_dir, "scratch directory (default: <db>.work)");
    cmd->add_option("--equiv", args->equiv_vectors,
                    "check every finished build's bitstream on N vectors against the golden "
                    "model (default: $DETLAB_EQUIV_VECTORS, else the file's [experiment] "
                    "equiv_vectors)")
        ->check(CLI::Range(0, 100000));
    cmd->add_flag("--list", args->list, "print the runs of the experiment (or shard) and exit");
    cmd->add_flag("--no-progress", args->no_progress,
                  "plain log lines even on a terminal (no progress bar)");
    cmd->callback([args, &global] { run_command(*args, global); });
});

} // namespace
} // namespace detlab::cli
