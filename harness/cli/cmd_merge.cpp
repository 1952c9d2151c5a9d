// `detlab merge OUT IN...`: merges shard databases into one (Store::merge_from).
#include "db/store.h"
#include "harness/cli/cli.h"

#include <iostream>
#include <memory>
#include <optional>

namespace detlab::cli {
namespace {

struct MergeArgs {
    std::string out;
    std::vector<std::string> inputs;
};

// The observations a merge left out because their data is damaged in the input.
std::string damaged_text(const db::Store::MergeReport& report) {
    if (report.damaged.empty())
        return "";
    return ", left out " + std::to_string(report.damaged.size()) + " with damaged data";
}

// Removes the output store when this merge created it and did not finish: a refused or failed
// merge leaves no empty store behind (one that existed before is left as it was).
class CreatedOutput {
public:
    explicit CreatedOutput(const std::string& path) : path_(path) {
        std::error_code error;
        created_ = !std::filesystem::exists(path_, error);
    }
    ~CreatedOutput() {
        if (!created_ || finished_)
            return;
        std::error_code error;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            std::filesystem::remove(path_ + suffix, error);
    }
    CreatedOutput(const CreatedOutput&) = delete;
    CreatedOutput& operator=(const CreatedOutput&) = delete;
    void finished() { finished_ = true; }

private:
    std::string path_;
    bool created_ = false, finished_ = false;
};

void merge_command(const MergeArgs& args) {
    std::error_code error;
    if (args.out.empty())
        throw InputError("merge: OUT is an empty path");
    for (const auto& input : args.inputs) {
        if (input.empty())
            throw InputError("merge: an input is an empty path");
        if (!std::filesystem::is_regular_file(input, error))
            throw InputError(terminal_safe(input) + ": no such database");
        if (std::filesystem::exists(args.out, error) &&
            std::filesystem::equivalent(input, args.out, error))
            throw InputError(terminal_safe(input) + ": is the output database itself");
        db::Store::check_mergeable(input); // every input, before OUT is created
    }
    CreatedOutput created(args.out);
    std::optional<db::Store> opened;
    opened.emplace(args.out);
    db::Store& out = *opened;
    std::int64_t added = 0, skipped = 0, renamed = 0, blobs = 0;
    std::size_t damaged = 0;
    for (const auto& input : args.inputs) {
        auto report = out.merge_from(input);
        created.finished(); // it now holds what it reports
        std::cout << terminal_safe(input) << ": added " << report.runs_added << " observations ("
                  << report.runs_renamed << " under a new id: their id was taken here), skipped "
                  << report.runs_skipped << " (already present), " << report.blobs_added
                  << " new blobs" << damaged_text(report) << "\n";
        for (const auto& line : report.damaged)
            std::cerr << "detlab: DAMAGED DATA in " << terminal_safe(input) << ": "
                      << terminal_safe(line) << "\n";
        added += report.runs_added;
        damaged += report.damaged.size();
        skipped += report.runs_skipped;
        renamed += report.runs_renamed;
        blobs += report.blobs_added;
    }
    std::cout << terminal_safe(args.out) << ": added " << added << " observations (" << renamed
              << " renamed), skipped " << skipped << ", " << blobs << " new blobs";
    if (damaged)
        std::cout << ", left out " << damaged << " with damaged data (see detlab db check on the "
                  << "inputs)";
    std::cout << "\n";
}

const Registration registration(22, [](CLI::App& app, GlobalOptions&) {
    auto args = std::make_shared<MergeArgs>();
    auto* cmd = app.add_subcommand(
        "merge", "merge databases (shards of a Slurm array, other machines) into OUT: every "
                 "observation is kept; prints observations added and skipped (already present)");
    cmd->add_option("out", args->out, "output database (created if missing)")->required();
    cmd->add_option("inputs", args->inputs, "databases to merge into OUT")->required();
    cmd->callback([args] { merge_command(*args); });
});

} // namespace
} // namespace detlab::cli
