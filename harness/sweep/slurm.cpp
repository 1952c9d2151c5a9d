// The sbatch array script written by `detlab slurm`.
#include "harness/sweep/sweep.h"

#include <sstream>

namespace detlab::sweep {
namespace {
// Single-quoted for bash: safe for any path, including spaces and quotes.
std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// Slurm reads #SBATCH lines before the shell runs, so their values cannot be quoted; reject
// what would silently break them (white space) or end the line (control characters).
std::string directive_value(const std::string& key, const std::string& value) {
    for (char c : value)
        if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            throw InputError("--" + key + ": \"" + terminal_safe(value) +
                             "\" must not contain white space or control characters");
    return value;
}

// Text in a comment line: a line break would end the comment and start a command, so control
// characters are written as visible escapes (the real values are quoted on the exec line).
std::string comment(const std::string& text) {
    return terminal_safe(text, 4096);
}
} // namespace

std::string sbatch_script(const SlurmOptions& options) {
    if (options.shards < 1)
        throw InputError("--shards: must be at least 1");
    if (options.cpus_per_task < 1)
        throw InputError("--cpus: must be at least 1");
    auto first_shard = shard_db_path(options.db_path, {0, options.shards});
    auto shard_glob = shard_db_pattern(options.db_path);
    std::ostringstream out;
    out << "#!/bin/bash\n"
        << "# Written by `detlab slurm` for " << comment(options.experiment.string()) << ": "
        << options.shards << " shard(s), one array task each.\n"
        << "# Submit:  sbatch "
        << "<this file>\n"
        << "# Then:    detlab merge " << comment(options.db_path.string()) << " "
        << comment(options.shards > 1 ? shard_glob.string() : first_shard.string()) << "\n"
        << "#SBATCH --job-name=" << directive_value("job-name", options.job_name) << "\n"
        << "#SBATCH --array=0-" << options.shards - 1 << "\n"
        << "#SBATCH --ntasks=1\n"
        << "#SBATCH --cpus-per-task=" << options.cpus_per_task << "\n"
        << "#SBATCH --output=" << directive_value("log-dir", options.log_dir.string())
        << "/%x-%A_%a.out\n";
    if (!options.partition.empty())
        out << "#SBATCH --partition=" << directive_value("partition", options.partition) << "\n";
    if (!options.time_limit.empty())
        out << "#SBATCH --time=" << directive_value("time", options.time_limit) << "\n";
    if (!options.memory.empty())
        out << "#SBATCH --mem=" << directive_value("mem", options.memory) << "\n";
    out << "set -euo pipefail\n"
        << "# detlab takes its share from SLURM_ARRAY_TASK_ID / _COUNT / _MIN and writes it to\n"
        << "# its own database file (" << comment(first_shard.filename().string()) << ", ...).\n"
        << "export SLURM_ARRAY_TASK_COUNT=\"${SLURM_ARRAY_TASK_COUNT:-" << options.shards << "}\"\n"
        << "exec " << shell_quote(options.detlab_binary.string()) << " run "
        << shell_quote(options.experiment.string()) << " --db "
        << shell_quote(options.db_path.string())
        << " --jobs \"${SLURM_CPUS_PER_TASK:-1}\" --no-progress\n";
    return out.str();
}

} // namespace detlab::sweep
