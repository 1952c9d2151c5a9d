// `detlab merge OUT IN...`: merges shard databases into one (Store::merge_from).
#include "db/store.h"
#include "harness/cli/cli.h"

#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct MergeArgs {
    std::string out;
    std::vector<std::string> inputs;
};

void merge_command(const MergeArgs& args) {
    std::error_code error;
    for (const auto& input : args.inputs) {
        if (!std::filesystem::is_regular_file(input, error))
            throw InputError(input + ": no such database");
        if (std::filesystem::exists(args.out, error) &&
            std::filesystem::equivalent(input, args.out, error))
            throw InputError(input + ": is the output database itself");
    }
    db::Store out(args.out);
    std::int64_t added = 0, skipped = 0, blobs = 0, conflicts = 0;
    for (const auto& input : args.inputs) {
        auto report = out.merge_from(input);
        std::cout << input << ": added " << report.runs_added << ", skipped " << report.runs_skipped
                  << " (already present), " << report.blobs_added << " new blobs, "
                  << report.conflicts.size() << " conflicts\n";
        for (const auto& conflict : report.conflicts)
            std::cout << "  conflict: " << conflict << "\n";
        added += report.runs_added;
        skipped += report.runs_skipped;
        blobs += report.blobs_added;
        conflicts += static_cast<std::int64_t>(report.conflicts.size());
    }
    std::cout << args.out << ": added " << added << " runs, skipped " << skipped << ", " << blobs
              << " new blobs, " << conflicts << " conflicts\n";
    if (conflicts > 0)
        throw CLI::RuntimeError(1); // the output holds the first version of each conflicting run
}

const Registration registration(22, [](CLI::App& app, GlobalOptions&) {
    auto args = std::make_shared<MergeArgs>();
    auto* cmd = app.add_subcommand(
        "merge", "merge databases (e.g. the shards of a Slurm array) into OUT; prints runs added, "
                 "skipped and conflicting (exit 1 when any run conflicts)");
    cmd->add_option("out", args->out, "output database (created if missing)")->required();
    cmd->add_option("inputs", args->inputs, "databases to merge into OUT")->required();
    cmd->callback([args] { merge_command(*args); });
});

} // namespace
} // namespace detlab::cli
