// Process runner over Boost.Process v1. Exit is learned from a pidfd (not from Boost's
// wait_for/on_exit, which can block for the whole timeout or steal SIGCHLD), the child is
// reaped with wait4() for its rusage, and the whole process group is killed on timeout and
// after the child exits, so a grandchild that keeps the pipes open cannot hang the caller.
#include "harness/process/process.h"

#include "harness/common/common.h"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/args.hpp>
#include <boost/process/async_pipe.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <linux/close_range.h>
#include <mutex>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace detlab::process {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process;

// Runs in the forked child just before execve, so only async-signal-safe calls are allowed.
struct ChildSetup : bp::extend::handler {
    const char* cwd = nullptr;
    std::optional<mode_t> umask_value;
    bool disable_aslr = false;

    template <class Executor>
    void on_exec_setup(Executor& exec) const {
        if (cwd && ::chdir(cwd) != 0)
            fail(exec, "chdir failed");
        // Own process group: a timeout or cleanup kills the tool and everything it started.
        if (::setpgid(0, 0) != 0)
            fail(exec, "setpgid failed");
        if (umask_value)
            ::umask(*umask_value);
        if (disable_aslr) {
            int current = ::personality(0xffffffff);
            if (current == -1 ||
                ::personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE) == -1)
                fail(exec, "personality(ADDR_NO_RANDOMIZE) failed");
        }
        // Pipes and database handles of concurrent runs must not leak into this tool: they
        // would hold other runs' pipes open. Boost's own error pipe is close-on-exec already.
        ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    }

    template <class Executor>
    [[noreturn]] static void fail(Executor& exec, const char* what) {
        exec.set_error(std::error_code(errno, std::system_category()), what);
        ::_exit(127);
    }
};

// A pipe whose bytes are appended to `sink` until EOF, or until the child is gone and what is
// buffered has been read without blocking.
class Drain {
public:
    Drain(bp::async_pipe& pipe, std::string& sink) : pipe_(pipe), sink_(sink) {}

    void start() {
        pipe_.async_read_some(asio::buffer(buffer_), [this](boost::system::error_code ec,
                                                            std::size_t n) { on_read(ec, n); });
    }

    // Called once the child is reaped and its group killed: no new writer can appear, but a
    // stranger may still hold the write end, so stop waiting for EOF.
    void finish() {
        child_gone_ = true;
        if (!done_)
            pipe_.cancel();
    }

private:
    void on_read(boost::system::error_code ec, std::size_t n) {
        sink_.append(buffer_.data(), n);
        if (!ec && !child_gone_) {
            start();
            return;
        }
        if (ec != asio::error::eof)
            read_buffered();
        done_ = true;
    }

    void read_buffered() {
        int fd = pipe_.native_source();
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        for (;;) {
            ssize_t n = ::read(fd, buffer_.data(), buffer_.size());
            if (n > 0)
                sink_.append(buffer_.data(), static_cast<std::size_t>(n));
            else if (n < 0 && errno == EINTR)
                continue;
            else
                break; // EOF, EAGAIN (nothing left) or an error
        }
    }

    bp::async_pipe& pipe_;
    std::string& sink_;
    std::array<char, 65536> buffer_{};
    bool child_gone_ = false, done_ = false;
};

bp::environment child_environment(const Spec& spec) {
    bp::environment env;
    if (!spec.clear_env)
        for (const auto& entry : boost::this_process::environment())
            env[entry.get_name()] = entry.to_string();
    for (const auto& name : spec.unset_env)
        if (env.find(name) != env.end())
            env.erase(name);
    for (const auto& [name, value] : spec.set_env)
        env[name] = value;
    return env;
}

double seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

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

std::string spawn_error_text(const std::string& exe, const std::error_code& ec) {
    return "cannot start " + exe + ": " + ec.message();
}

void ignore_sigpipe_once() {
    // Writing stdin to a tool that exits early must be an error code, not a dead harness.
    static std::once_flag once;
    std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

} // namespace

std::filesystem::path find_executable(const std::string& name) {
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? std::filesystem::path(name) : "";
    return bp::search_path(name).string();
}

std::string Result::describe() const {
    switch (outcome) {
    case Outcome::exited:
        return "exit " + std::to_string(exit_code);
    case Outcome::signalled:
        return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    case Outcome::timed_out: {
        char text[32];
        std::snprintf(text, sizeof text, "%.3g", wall_seconds);
        return std::string("timed out after ") + text + " s";
    }
    case Outcome::spawn_failed:
        return error.empty() ? "not started" : error;
    }
    return "unknown";
}

Result run(const Spec& spec) {
    Result result;
    if (spec.argv.empty()) {
        result.error = "empty command line";
        return result;
    }
    std::filesystem::path exe = find_executable(spec.argv[0]);
    if (exe.empty()) {
        result.error = "executable not found: " + spec.argv[0];
        return result;
    }
    if (!spec.stdin_data.empty())
        ignore_sigpipe_once();

    asio::io_context io;
    bp::async_pipe out_pipe(io), err_pipe(io), in_pipe(io);
    ChildSetup setup;
    setup.umask_value = spec.umask;
    setup.disable_aslr = spec.disable_aslr;
    std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
    std::string cwd = spec.cwd.string();
    if (!cwd.empty()) {
        std::error_code dir_ec;
        if (!std::filesystem::is_directory(cwd, dir_ec)) {
            result.error = "working directory not found: " + cwd;
            return result;
        }
        setup.cwd = cwd.c_str();
    }

    double start = monotonic_seconds();
    std::error_code ec;
    bp::child child(bp::exe = exe.string(), bp::args = args, child_environment(spec),
                    bp::std_out > out_pipe, bp::std_err > err_pipe, bp::std_in < in_pipe, setup,
                    ec);
    if (ec || !child.valid()) {
        result.error = spawn_error_text(spec.argv[0], ec);
        return result;
    }
    // From here on the pid is ours to reap: Boost must neither wait for nor kill it.
    result.pid = child.id();
    child.detach();

    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, result.pid, 0));
    if (pidfd < 0) {
        ::kill(-result.pid, SIGKILL);
        reap(result.pid, result);
        result.outcome = Result::Outcome::spawn_failed;
        result.error = std::string("pidfd_open failed: ") + std::strerror(errno);
        return result;
    }
    asio::posix::stream_descriptor exit_watch(io, pidfd);

    Drain out_drain(out_pipe, result.out), err_drain(err_pipe, result.err);
    out_drain.start();
    err_drain.start();
    if (spec.stdin_data.empty()) {
        in_pipe.close();
    } else {
        asio::async_write(in_pipe, asio::buffer(spec.stdin_data),
                          [&in_pipe](boost::system::error_code, std::size_t) { in_pipe.close(); });
    }

    // A timer whose expiry was already queued when the child exited still runs its handler
    // (cancel() cannot recall it), so every handler checks this flag: otherwise the cancel poll
    // would re-arm itself forever and io.run() would never return.
    bool child_exited = false;
    asio::steady_timer timer(io);
    if (spec.timeout.count() > 0) {
        timer.expires_after(spec.timeout);
        timer.async_wait([&](boost::system::error_code timer_ec) {
            if (timer_ec || child_exited)
                return;
            result.outcome = Result::Outcome::timed_out;
            ::kill(-result.pid, SIGKILL);
        });
    }

    asio::steady_timer cancel_poll(io);
    std::function<void(boost::system::error_code)> poll_cancel;
    poll_cancel = [&](boost::system::error_code poll_ec) {
        if (poll_ec || child_exited)
            return;
        if (spec.cancel->load()) {
            result.cancelled = true;
            ::kill(-result.pid, SIGKILL);
            return;
        }
        cancel_poll.expires_after(std::chrono::milliseconds(100));
        cancel_poll.async_wait(poll_cancel);
    };
    if (spec.cancel)
        poll_cancel({});

    exit_watch.async_wait(asio::posix::descriptor_base::wait_read, [&](boost::system::error_code) {
        child_exited = true;
        result.wall_seconds = monotonic_seconds() - start;
        // The child is a zombie, so its pid and group id cannot have been reused yet.
        ::kill(-result.pid, SIGKILL);
        reap(result.pid, result);
        timer.cancel();
        cancel_poll.cancel();
        in_pipe.close();
        out_drain.finish();
        err_drain.finish();
    });
    io.run();
    return result;
}

} // namespace detlab::process
