// Runs one external tool without a shell: argv vector, working directory, environment,
// stdout/stderr drained concurrently, a timeout that kills the whole process group, and the
// child's wall time, CPU time and peak memory from wait4().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace detlab::process {

struct Spec {
    std::vector<std::string> argv; // argv[0] is looked up on PATH when it has no '/'
    std::filesystem::path cwd;     // empty: inherit
    // Environment: the parent's, minus `unset`, plus `set` (set wins). With clear_env, only `set`.
    std::map<std::string, std::string> set_env;
    std::vector<std::string> unset_env;
    bool clear_env = false;
    std::optional<mode_t> umask;
    bool disable_aslr = false; // personality(ADDR_NO_RANDOMIZE) in the child, like setarch -R
    std::chrono::milliseconds timeout{0}; // 0: none
    std::string stdin_data;
    // Polled every 100 ms; once set the whole group is killed and Result::cancelled is set.
    const std::atomic<bool>* cancel = nullptr;
    // Bytes kept of each of stdout and stderr: a tool printing gigabytes costs this much memory.
    // Beyond it the first and last halves are kept with the dropped byte count said in a line
    // between them, and the ERROR lines among the dropped bytes are kept whole
    // (Result::out_dropped, err_dropped). 0 keeps everything: only for a tool whose stdout is data
    // detlab reads.
    std::size_t output_limit = kDefaultOutputLimit;
    static constexpr std::size_t kDefaultOutputLimit = 32u << 20;
};

struct Result {
    enum class Outcome { exited, signalled, timed_out, spawn_failed };
    Outcome outcome = Outcome::spawn_failed;
    int exit_code = -1; // valid when exited
    int signal = 0;     // valid when signalled
    std::string out, err;
    std::size_t out_dropped = 0, err_dropped = 0; // bytes not kept (Spec::output_limit)
    std::string error; // spawn failure text ("executable not found: foo")
    double wall_seconds = 0, user_seconds = 0, system_seconds = 0;
    long max_rss_kib = 0;
    bool cancelled = false; // killed because Spec::cancel was set
    pid_t pid = 0;          // the child's pid, also its process group id (0 when not spawned)

    bool ok() const { return outcome == Outcome::exited && exit_code == 0; }
    // One line for logs and run messages: "exit 1", "killed by signal 9", "timed out after 5 s".
    std::string describe() const;
};

// Never throws for tool failures; those are reported in Result. With DETLAB_FORBID_PROCESS=1
// in the environment (every `unit` test has it) it starts nothing: it prints what it was asked
// to run and aborts, so a pure function that spawns a tool fails its unit test.
Result run(const Spec& spec);
// Whether DETLAB_FORBID_PROCESS=1 is set: the few callers whose probe is optional (the
// provenance's simulator and git versions) ask first and record "not probed" instead.
bool processes_forbidden();

// Finds an executable on PATH; empty when absent.
std::filesystem::path find_executable(const std::string& name);

// A tool's version for the provenance: the first line it prints for `argv` (stdout, else
// stderr), "not found" when it cannot be started, "error: ..." when it fails silently, and
// kVersionUnknown + " (why)" when it was stopped before it finished (its partial text is not
// a version). Bounded by `limit`, so a hanging tool costs no more than that.
inline constexpr std::string_view kVersionUnknown = "unknown";
std::string probe_version(std::vector<std::string> argv, std::chrono::milliseconds limit);

} // namespace detlab::process
