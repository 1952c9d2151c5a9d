// Running the detlab executable from tests: exit code, stdout and stderr.
#pragma once

#include "harness/common/common.h"

#include <csignal>
#include <fcntl.h>
#include <filesystem>
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

inline std::string quoted(const std::string& text) {
    std::string q = "'";
    for (char c : text)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs a shell command line (the arguments are quoted by the caller) in `dir`.
inline Outcome run_shell(const std::string& command, const std::filesystem::path& dir) {
    auto out = dir / "cmd.out", err = dir / "cmd.err";
    std::string line = "cd " + quoted(dir.string()) + " && { " + command + "; } >" +
                       quoted(out.string()) + " 2>" + quoted(err.string());
    int status = std::system(line.c_str());
    Outcome outcome;
    outcome.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.out = read_file_text(out);
    outcome.err = read_file_text(err);
    return outcome;
}

inline Outcome run_detlab(const std::vector<std::string>& args, const std::filesystem::path& dir) {
    std::string command = quoted(DETLAB_BINARY);
    for (const auto& arg : args) {
        // Two appends: GCC 12 warns falsely (-Wrestrict) about `" " + std::string` here.
        command += ' ';
        command += quoted(arg);
    }
    return run_shell(command, dir);
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
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "sweep" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

} // namespace detlab::sweep::testing
