// Process runner: fork + execve (argv and environment built before the fork, so the child
// only makes async-signal-safe calls), pipes drained with asio. Exit is learned from a pidfd,
// the child is reaped with wait4() for its rusage, and the whole process group is killed on
// timeout and after the child exits, so a grandchild that keeps the pipes open cannot hang the
// caller. Tools die with detlab: the child has PR_SET_PDEATHSIG(SIGKILL), and a small guard
// process (a fork, in its own group) kills the tool's whole group when detlab's end of the
// guard's pipe closes without the "finished" byte, i.e. when detlab dies, however it dies.
// (Boost.Process 1.74 was used before; its environment handling reads out of bounds under ASan.)
#include "harness/process/capture.h"
#include "harness/process/internal.h"
#include "harness/util/util.h"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
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

namespace detlab::process {
namespace {

namespace asio = boost::asio;
using Pipe = asio::posix::stream_descriptor;

// A pipe whose bytes are appended to `sink` (kept up to its limit) until EOF, or until the child is
// gone and what is buffered has been read without blocking.
class Drain {
public:
    Drain(Pipe& pipe, detail::Capture& sink) : pipe_(pipe), sink_(sink) {}

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
        int fd = pipe_.native_handle();
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

    Pipe& pipe_;
    detail::Capture& sink_;
    std::array<char, 65536> buffer_{};
    bool child_gone_ = false, done_ = false;
};

} // namespace

using namespace detail;

std::filesystem::path find_executable(const std::string& name) {
    if (name.find('/') != std::string::npos)
        return ::access(name.c_str(), X_OK) == 0 ? std::filesystem::path(name) : "";
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    std::size_t begin = 0;
    while (begin <= dirs.size()) {
        std::size_t end = dirs.find(':', begin);
        if (end == std::string::npos)
            end = dirs.size();
        std::filesystem::path dir = end > begin ? dirs.substr(begin, end - begin) : ".";
        std::filesystem::path candidate = dir / name;
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        begin = end + 1;
    }
    return {};
}

bool processes_forbidden() {
    const char* forbid = std::getenv("DETLAB_FORBID_PROCESS");
    return forbid != nullptr && std::string_view(forbid) == "1";
}

namespace {

// A unit test runs with DETLAB_FORBID_PROCESS=1 (tests/CMakeLists.txt), so code that should be
// pure (parsing, validation, identity) and starts a tool fails that test at once, even where
// the tool is installed and the call would have succeeded. Aborting, not throwing: a caller's
// catch-all could turn an exception into an ordinary failed run and the test would pass.
void refuse_when_forbidden(const Spec& spec) {
    if (!processes_forbidden())
        return;
    std::string command = spec.argv.empty() ? std::string("(empty)") : spec.argv[0];
    for (std::size_t i = 1; i < spec.argv.size() && i < 4; ++i)
        command += " " + spec.argv[i];
    std::fprintf(stderr,
                 "detlab: process::run(%s) with DETLAB_FORBID_PROCESS=1: this code must not "
                 "start a process (a unit test, or a pure function that runs a tool)\n",
                 command.c_str());
    std::fflush(stderr);
    std::abort();
}

} // namespace

std::string probe_version(std::vector<std::string> argv, std::chrono::milliseconds limit) {
    Spec spec;
    spec.argv = std::move(argv);
    spec.timeout = limit;
    auto result = run(spec);
    if (result.outcome == Result::Outcome::spawn_failed)
        return "not found";
    if (result.outcome == Result::Outcome::timed_out ||
        result.outcome == Result::Outcome::signalled)
        return std::string(kVersionUnknown) + " (" + result.describe() + ")";
    const std::string& text = result.out.empty() ? result.err : result.out;
    std::string line = text.substr(0, text.find('\n'));
    auto first = line.find_first_not_of(" \t\r");
    line = first == std::string::npos
               ? ""
               : line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
    if (!result.ok())
        return line.empty() ? "error: " + result.describe() : line;
    return line;
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
    refuse_when_forbidden(spec);
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
    // The writes to the tool's stdin and to its guard's pipe meet a closed pipe when the tool
    // stops reading or the guard was killed: an EPIPE to ignore, never detlab's death.
    ignore_sigpipe_once();

    std::string cwd = spec.cwd.string();
    if (!cwd.empty()) {
        std::error_code dir_ec;
        if (!std::filesystem::is_directory(cwd, dir_ec)) {
            result.error = "working directory not found: " + cwd;
            return result;
        }
    }

    double start = monotonic_seconds();
    Launched launched;
    exe = std::filesystem::absolute(exe); // the child changes directory before execve
    if (!launch(spec, exe.string(), cwd.empty() ? nullptr : cwd.c_str(), result, launched))
        return result;
    asio::io_context io;
    Pipe out_pipe(io, launched.out), err_pipe(io, launched.err), in_pipe(io, launched.in);

    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, result.pid, 0));
    if (pidfd < 0) {
        ::kill(-result.pid, SIGKILL);
        reap(result.pid, result);
        release_guard(launched);
        result.outcome = Result::Outcome::spawn_failed;
        result.error = std::string("pidfd_open failed: ") + std::strerror(errno);
        return result;
    }
    asio::posix::stream_descriptor exit_watch(io, pidfd);

    detail::Capture out_capture(spec.output_limit), err_capture(spec.output_limit);
    Drain out_drain(out_pipe, out_capture), err_drain(err_pipe, err_capture);
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
    release_guard(launched);
    result.out = out_capture.finish();
    result.err = err_capture.finish();
    result.out_dropped = out_capture.dropped();
    result.err_dropped = err_capture.dropped();
    return result;
}

} // namespace detlab::process
