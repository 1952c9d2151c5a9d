// The launch half of the process runner (see process.cpp): the child's plan, prepared before
// the fork, the fork and execve, the guard process, and reaping with wait4.
#include "harness/process/internal.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <linux/close_range.h>
#include <mutex>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace detlab::process::detail {
namespace {

struct ChildPlan {
    const char* exe = nullptr;
    std::vector<char*> argv, envp;
    const char* cwd = nullptr;
    std::optional<mode_t> umask_value;
    bool disable_aslr = false;
    pid_t parent = 0;
    int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1, error_fd = -1;
};

// Reports which step failed and errno through the close-on-exec error pipe, then exits.
[[noreturn]] void child_fail(int error_fd, int step) {
    int report[2] = {step, errno};
    [[maybe_unused]] auto n = ::write(error_fd, report, sizeof report);
    ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls.
[[noreturn]] void child_main(const ChildPlan& plan) {
    // Dies with the thread that forked it, which waits for it; so with detlab.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != plan.parent)
        child_fail(plan.error_fd, 0);
    // Own process group: a timeout or cleanup kills the tool and everything it started.
    if (::setpgid(0, 0) != 0)
        child_fail(plan.error_fd, 1);
    if (::dup2(plan.stdin_fd, 0) < 0 || ::dup2(plan.stdout_fd, 1) < 0 ||
        ::dup2(plan.stderr_fd, 2) < 0)
        child_fail(plan.error_fd, 2);
    if (plan.cwd && ::chdir(plan.cwd) != 0)
        child_fail(plan.error_fd, 3);
    if (plan.umask_value)
        ::umask(*plan.umask_value);
    if (plan.disable_aslr) {
        int current = ::personality(0xffffffff);
        if (current == -1 ||
            ::personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE) == -1)
            child_fail(plan.error_fd, 4);
    }
    // detlab ignores SIGPIPE and may block signals in its threads; the tool starts clean.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Pipes and database handles of concurrent runs must not leak into this tool: they
    // would hold other runs' pipes open. The error pipe is close-on-exec already.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(plan.exe, plan.argv.data(), plan.envp.data());
    child_fail(plan.error_fd, 5);
}

const char* child_step(int step) {
    static const char* const steps[] = {"PR_SET_PDEATHSIG failed",
                                        "setpgid failed",
                                        "dup2 failed",
                                        "chdir failed",
                                        "personality(ADDR_NO_RANDOMIZE) failed",
                                        "execve failed"};
    return step >= 0 && step < 6 ? steps[step] : "failed";
}

// The guard: waits on `life_fd`; a byte means the run finished normally, end of file means
// detlab is gone, and then the tool's group is killed. Runs in a forked child (async-signal-
// safe calls only), in its own process group so that killing detlab's group spares it.
[[noreturn]] void guard_main(int life_fd, pid_t tool_group) {
    ::setpgid(0, 0);
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
    }
    // Hold nothing of detlab's open (pipes of other runs, the database).
    if (life_fd > 3)
        ::close_range(3, static_cast<unsigned>(life_fd - 1), 0);
    ::close_range(static_cast<unsigned>(life_fd + 1), ~0U, 0);
    char byte = 0;
    ssize_t n;
    do {
        n = ::read(life_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1)
        ::kill(-tool_group, SIGKILL);
    ::_exit(0);
}

std::vector<std::string> child_environment(const Spec& spec) {
    std::map<std::string, std::string> env;
    if (!spec.clear_env)
        for (char** entry = environ; entry && *entry; ++entry) {
            std::string text = *entry;
            auto eq = text.find('=');
            if (eq != std::string::npos && eq > 0)
                env.emplace(text.substr(0, eq), text.substr(eq + 1));
        }
    for (const auto& name : spec.unset_env)
        env.erase(name);
    for (const auto& [name, value] : spec.set_env)
        env[name] = value;
    std::vector<std::string> entries;
    entries.reserve(env.size());
    for (const auto& [name, value] : env)
        entries.push_back(name + "=" + value);
    return entries;
}

struct Fds {
    int read = -1, write = -1;
    bool open() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return false;
        read = fds[0];
        write = fds[1];
        return true;
    }
    void close_both() {
        for (int* fd : {&read, &write})
            if (*fd >= 0) {
                ::close(*fd);
                *fd = -1;
            }
    }
};

double seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

} // namespace

// Reaps the exited child and fills status and resource usage.
void reap(pid_t pid, Result& result) {
    int status = 0;
    rusage usage{};
    pid_t got;
    do {
        got = ::wait4(pid, &status, 0, &usage);
    } while (got == -1 && errno == EINTR);
    if (got != pid)
        return;
    result.user_seconds = seconds(usage.ru_utime);
    result.system_seconds = seconds(usage.ru_stime);
    result.max_rss_kib = usage.ru_maxrss; // Linux reports kibibytes
    if (result.outcome == Result::Outcome::timed_out)
        return;
    if (WIFEXITED(status)) {
        result.outcome = Result::Outcome::exited;
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.outcome = Result::Outcome::signalled;
        result.signal = WTERMSIG(status);
    }
}

// Forks the child and its guard; on failure fills result.error and returns false.
bool launch(const Spec& spec, const std::string& exe, const char* cwd, Result& result,
            Launched& launched) {
    std::vector<std::string> args = spec.argv, env = child_environment(spec);
    ChildPlan plan;
    plan.exe = exe.c_str();
    for (auto& arg : args)
        plan.argv.push_back(arg.data());
    plan.argv.push_back(nullptr);
    for (auto& entry : env)
        plan.envp.push_back(entry.data());
    plan.envp.push_back(nullptr);
    plan.cwd = cwd;
    plan.umask_value = spec.umask;
    plan.disable_aslr = spec.disable_aslr;
    plan.parent = ::getpid();

    Fds in, out, err, error;
    auto close_all = [&] {
        for (Fds* fds : {&in, &out, &err, &error})
            fds->close_both();
    };
    if (!in.open() || !out.open() || !err.open() || !error.open()) {
        result.error = std::string("cannot make pipes: ") + std::strerror(errno);
        close_all();
        return false;
    }
    plan.stdin_fd = in.read;
    plan.stdout_fd = out.write;
    plan.stderr_fd = err.write;
    plan.error_fd = error.write;
    pid_t pid = ::fork();
    if (pid < 0) {
        result.error = "cannot start " + spec.argv[0] + ": fork: " + std::strerror(errno);
        close_all();
        return false;
    }
    if (pid == 0)
        child_main(plan);
    ::close(error.write);
    error.write = -1;
    int report[2] = {0, 0};
    ssize_t n;
    do {
        n = ::read(error.read, report, sizeof report); // returns 0 once execve succeeded
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        result.error = "cannot start " + spec.argv[0] + ": " + child_step(report[0]) + ": " +
                       std::strerror(report[1]);
        close_all();
        return false;
    }
    result.pid = pid;
    Fds life;
    if (life.open()) {
        pid_t guard = ::fork();
        if (guard == 0)
            guard_main(life.read, pid);
        if (guard > 0) {
            launched.guard = guard;
            launched.life = life.write;
            life.write = -1;
        }
        life.close_both();
    }
    launched.out = out.read;
    launched.err = err.read;
    launched.in = in.write;
    out.read = err.read = in.write = -1;
    close_all();
    return true;
}

// Tells the guard the run ended normally and reaps it.
void release_guard(Launched& launched) {
    if (launched.life >= 0) {
        char byte = 'x';
        [[maybe_unused]] auto n = ::write(launched.life, &byte, 1);
        ::close(launched.life);
        launched.life = -1;
    }
    if (launched.guard > 0) {
        int status = 0;
        while (::waitpid(launched.guard, &status, 0) < 0 && errno == EINTR) {
        }
        launched.guard = 0;
    }
}

void ignore_sigpipe_once() {
    // Writing stdin to a tool that exits early must be an error code, not a dead harness.
    static std::once_flag once;
    std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

} // namespace detlab::process::detail
