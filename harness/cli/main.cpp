#include "harness/cli/cli.h"
#include "harness/invariant/invariant.h"
#include "harness/util/util.h"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace detlab::cli {
namespace {
std::vector<std::pair<int, Registrar>>& registry() {
    static std::vector<std::pair<int, Registrar>> entries;
    return entries;
}
} // namespace

Registration::Registration(int order, Registrar registrar) {
    registry().emplace_back(order, std::move(registrar));
}

void add_db_option(CLI::App& command, GlobalOptions& global) {
    command.add_option("--db", global.db_path, "results database (SQLite)")
        ->capture_default_str()
        ->check([](const std::string& value) {
            return value.empty() ? std::string("an empty path names no database file")
                                 : std::string();
        });
}
CLI::App& bench_group(CLI::App& app) {
    for (auto* sub : app.get_subcommands([](CLI::App* c) { return c->get_name() == "bench"; }))
        return *sub;
    auto* group = app.add_subcommand("bench", "performance benchmarks (ratios against a baseline "
                                              "measured in the same run)");
    group->require_subcommand(1);
    return *group;
}

namespace {

// Standard output failed because its reader went away (a pipe or socket): `detlab runs | head`
// must end quietly, as every command before `head` does. A failed write to a file (a full disk)
// is not that, and is an error.
bool reader_gone() {
    struct stat status {};
    return ::fstat(STDOUT_FILENO, &status) == 0 &&
           (S_ISFIFO(status.st_mode) || S_ISSOCK(status.st_mode));
}

int finish(int code) {
    std::cout.flush();
    if (std::cout.good() || reader_gone())
        return code;
    std::cerr << "detlab: error: could not write the output\n";
    return code == 0 ? 1 : code;
}

} // namespace
} // namespace detlab::cli

int main(int argc, char** argv) {
    using namespace detlab;
    // A closed pipe is an EPIPE on the write that meets it, never a death by signal (exit 141):
    // not when the reader of our output goes away (finish() ends quietly), not when a tool's
    // guard process was killed (process::run), not when a tool stops reading its stdin.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"detlab: measures nondeterminism in FPGA toolchains and in neural-network "
                 "training side by side.\nRun 'detlab <command> --help' for each command."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "detlab 0.1.0");
    cli::GlobalOptions global;
    auto& entries = cli::registry();
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [order, registrar] : entries)
        registrar(app, global);
    try {
        app.parse(argc, argv);
    } catch (const cli::OutputClosed&) {
        return 0; // the reader has what it wanted
    } catch (const CLI::RuntimeError& e) {
        // A command's own exit status (e.g. `db check` found a problem).
        return cli::finish(e.get_exit_code());
    } catch (const CLI::ParseError& e) {
        // Usage errors are bad input (exit 2); --help and --version exit 0.
        int code = app.exit(e);
        return code == 0 ? 0 : 2;
    } catch (const InputError& e) {
        std::cerr << "detlab: " << e.what() << "\n";
        return 2;
    } catch (const InternalError& e) {
        // A broken invariant is detlab's bug, not the user's input: EX_SOFTWARE (sysexits.h).
        std::cerr << "detlab: " << e.what() << "\n(this is a bug in detlab; please report it)\n";
        return 70;
    } catch (const std::exception& e) {
        std::cerr << "detlab: error: " << e.what() << "\n";
        return 1;
    }
    return cli::finish(0);
}
