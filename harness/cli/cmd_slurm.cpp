// `detlab slurm FILE`: writes an sbatch array script that runs the experiment in shards.
#include "harness/cli/cli.h"
#include "harness/sweep/sweep.h"

#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct SlurmArgs {
    std::string file;
    std::string out;
    std::string log_dir;
    sweep::SlurmOptions options;
};

void slurm_command(SlurmArgs& args, const GlobalOptions& global) {
    // Validate now: a typo should fail here, not in every array task on the cluster.
    auto experiment = sweep::load_experiment(args.file, sweep::builtin_domains());
    auto& options = args.options;
    options.experiment = std::filesystem::absolute(args.file).lexically_normal();
    options.detlab_binary = std::filesystem::read_symlink("/proc/self/exe");
    options.db_path = std::filesystem::absolute(global.db_path).lexically_normal();
    options.log_dir = args.log_dir.empty() ? options.db_path.parent_path()
                                           : std::filesystem::absolute(args.log_dir);
    if (options.job_name.empty())
        options.job_name = "detlab-" + experiment.name;
    // The name comes from the file's text: it names the script only when it cannot lead out of
    // the working folder or hide a control character.
    if (args.out.empty() && !is_plain_file_name(experiment.name))
        throw InputError(input_error_message(
            args.file, 0, "name",
            "\"" + terminal_safe(experiment.name, 200) +
                "\" is not a plain file name (no '/', '..', control characters or leading '-'), "
                "so it cannot name the script; give --out"));
    std::string out = args.out.empty() ? experiment.name + ".sbatch" : args.out;
    write_file(out, sweep::sbatch_script(options));
    std::filesystem::permissions(out, std::filesystem::perms::owner_exec,
                                 std::filesystem::perm_options::add);
    auto runs = experiment.runs.size();
    auto shards = static_cast<std::size_t>(options.shards);
    std::cout << "wrote " << terminal_safe(out) << ": " << options.shards << " array task(s) for "
              << runs << " runs (" << runs / shards << "-" << (runs + shards - 1) / shards
              << " each)\n"
              << "submit:  sbatch " << terminal_safe(out) << "\n"
              << "then:    detlab merge " << terminal_safe(options.db_path.string()) << " "
              << terminal_safe((options.shards > 1 ? sweep::shard_db_pattern(options.db_path)
                                                   : sweep::shard_db_path(options.db_path, {0, 1}))
                                   .string())
              << "\n";
    if (shards > runs)
        std::cout << "note: more shards than runs; " << shards - runs << " task(s) will be idle\n";
}

const Registration registration(21, [](CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<SlurmArgs>();
    auto* cmd = app.add_subcommand(
        "slurm", "write an sbatch array script that runs an experiment as N shards, one array "
                 "task each, each into its own <db>.shard-I.db (merge them with detlab merge)");
    cmd->add_option("file", args->file, "experiment file (TOML)")->required();
    cmd->add_option("--shards", args->options.shards, "array tasks")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    cmd->add_option("--out", args->out, "script to write (default: <experiment>.sbatch)");
    add_db_option(*cmd, global);
    cmd->add_option("--cpus", args->options.cpus_per_task, "CPUs per task (= runs at a time)")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    cmd->add_option("--partition", args->options.partition, "Slurm partition");
    cmd->add_option("--time", args->options.time_limit, "time limit per task (e.g. 02:00:00)");
    cmd->add_option("--mem", args->options.memory, "memory per task (e.g. 4G)");
    cmd->add_option("--job-name", args->options.job_name, "job name (default: detlab-<name>)");
    cmd->add_option("--log-dir", args->log_dir,
                    "where tasks write their output (default: the "
                    "database's directory)");
    cmd->callback([args, &global] { slurm_command(*args, global); });
});

} // namespace
} // namespace detlab::cli
