// Running the detlab executable from tests: exit code, stdout and stderr.
#pragma once

#include "harness/process/process.h"
#include "harness/util/util.h"
#include "tests/fresh_dir.h"

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <vector>

extern char** environ;

namespace detlab::sweep::testing {

struct Outcome {
    int code = -1;
    std::string out, err;
};

// Runs argv (no shell; argv[0] looked up on PATH) in `dir` with `env` added to this process's
// environment.
inline Outcome run_argv(std::vector<std::string> argv, const std::filesystem::path& dir,
                        std::map<std::string, std::string> env = {}) {
    process::Spec spec;
    spec.argv = std::move(argv);
    spec.cwd = dir;
    spec.set_env = std::move(env);
    auto result = process::run(spec);
    Outcome outcome;
    outcome.code = result.outcome == process::Result::Outcome::exited      ? result.exit_code
                   : result.outcome == process::Result::Outcome::signalled ? 128 + result.signal
                                                                           : -1;
    outcome.out = std::move(result.out);
    outcome.err = result.err + result.error;
    return outcome;
}

inline Outcome run_detlab(const std::vector<std::string>& args, const std::filesystem::path& dir,
                          std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv{DETLAB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_argv(std::move(argv), dir, std::move(env));
}

// Starts detlab in the background in `dir` (output to dir/background.log); returns its pid.
inline pid_t spawn_detlab(const std::vector<std::string>& args, const std::filesystem::path& dir) {
    std::vector<std::string> argv{DETLAB_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (auto& arg : argv)
        pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    auto log = (dir / "background.log").string();
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    pid_t pid = -1;
    int error = posix_spawn(&pid, DETLAB_BINARY, &actions, nullptr, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return error == 0 ? pid : -1;
}

inline std::filesystem::path fresh_test_dir(const std::string& name) {
    return detlab::test::fresh_dir("sweep", name);
}

} // namespace detlab::sweep::testing
