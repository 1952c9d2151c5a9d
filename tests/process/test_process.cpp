#include "harness/process/process.h"
#include "harness/util/util.h"
#include "tests/skip.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>

using namespace detlab;
using process::Result;
using process::Spec;

namespace {

Spec shell(const std::string& script) {
    Spec spec;
    spec.argv = {"/bin/sh", "-c", script};
    return spec;
}

// True once no process is left in group `pgid`. Orphaned members are reaped by init a moment
// after they die, so poll for a while instead of asking once.
bool group_gone(pid_t pgid) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        if (::kill(-pgid, 0) == -1 && errno == ESRCH)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

} // namespace

TEST_CASE("exit codes and signals are reported") {
    auto ok = process::run(shell("exit 0"));
    CHECK(ok.ok());
    CHECK(ok.describe() == "exit 0");
    auto three = process::run(shell("exit 3"));
    CHECK(three.outcome == Result::Outcome::exited);
    CHECK(three.exit_code == 3);
    CHECK_FALSE(three.ok());
    auto killed = process::run(shell("kill -TERM $$"));
    CHECK(killed.outcome == Result::Outcome::signalled);
    CHECK(killed.signal == SIGTERM);
    CHECK_THAT(killed.describe(), Catch::StartsWith("killed by signal 15"));
}

TEST_CASE("several megabytes on both pipes at once are drained completely") {
    // Both writers run at the same time, so a runner that reads one pipe to EOF before the
    // other would deadlock once the other pipe's 64 KiB buffer fills.
    auto result = process::run(shell("yes stdout-line | head -c 6000000 & "
                                     "yes stderr-line | head -c 5000000 >&2; wait"));
    REQUIRE(result.ok());
    CHECK(result.out.size() == 6000000);
    CHECK(result.err.size() == 5000000);
    CHECK(result.out.substr(0, 12) == "stdout-line\n");
    CHECK(result.err.substr(result.err.size() - 1000).find("stderr-line") != std::string::npos);
}

TEST_CASE("output beyond the limit keeps head, tail and the ERROR lines, with the drop said") {
    // 40 MB of lines with one ERROR line in the middle, kept to 1 MiB: the head and tail start
    // and end at line breaks, the dropped byte count is said, and the ERROR line survives whole.
    Spec spec = shell("yes head-line | head -n 2000000; echo 'ERROR: the middle one failed'; "
                      "yes tail-line | head -n 2000000; echo last-line");
    spec.output_limit = 1 << 20;
    auto result = process::run(spec);
    REQUIRE(result.ok());
    const std::size_t total = 2000000 * 10 + 29 + 2000000 * 10 + 10;
    CHECK(result.out.size() < (1u << 20) + 4096);
    CHECK(result.out.substr(0, 10) == "head-line\n");
    CHECK(result.out.ends_with("tail-line\nlast-line\n"));
    CHECK(result.out.find("\nERROR: the middle one failed\n") != std::string::npos);
    CHECK(result.out_dropped > total - (1u << 20) - 64 * 1024);
    CHECK(result.out.find("[detlab: " + std::to_string(result.out_dropped) +
                          " bytes of output dropped here") != std::string::npos);
    // Every kept line is whole: nothing but the three kinds and the two notes.
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);)
        CHECK((line == "head-line" || line == "tail-line" || line == "last-line" ||
               line == "ERROR: the middle one failed" || line.starts_with("[detlab: ")));
    CHECK(result.err_dropped == 0);
}

TEST_CASE("a tool printing 300 MB costs bounded memory") {
    // Peak RSS of this test process, which holds every captured byte: with the default limit
    // (32 MiB a stream) it stays far below the 300 MB the tool prints.
    auto result = process::run(shell("head -c 300000000 /dev/zero | tr '\\0' x"));
    REQUIRE(result.ok());
    CHECK(result.out.size() <= Spec::kDefaultOutputLimit + 4096);
    CHECK(result.out_dropped >= 300000000 - Spec::kDefaultOutputLimit);
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed blocks resident in its quarantine (256 MiB by default), so the
    // peak RSS would measure the sanitizer, not the capture (217 MiB seen in CI): the bound below
    // is checked by the plain build's runs of this case.
    detlab_skip("peak RSS under AddressSanitizer counts its quarantine, not detlab's capture");
#endif
    rusage usage{};
    REQUIRE(::getrusage(RUSAGE_SELF, &usage) == 0);
    CHECK(usage.ru_maxrss < 160 * 1024); // KiB
}

TEST_CASE("output_limit 0 keeps everything") {
    Spec spec = shell("yes line | head -c 3000000");
    spec.output_limit = 0;
    auto result = process::run(spec);
    REQUIRE(result.ok());
    CHECK(result.out.size() == 3000000);
    CHECK(result.out_dropped == 0);
}

TEST_CASE("a hanging child is killed with its whole group at the timeout") {
    Spec spec = shell("sleep 100 & sleep 100; echo never");
    spec.timeout = std::chrono::milliseconds(300);
    auto result = process::run(spec);
    CHECK(result.outcome == Result::Outcome::timed_out);
    CHECK_FALSE(result.ok());
    CHECK(result.out.empty());
    CHECK_THAT(result.describe(), Catch::StartsWith("timed out after"));
    REQUIRE(result.pid > 0);
    CHECK(group_gone(result.pid));
}

TEST_CASE("a grandchild holding the pipes does not keep the run waiting") {
    auto result = process::run(shell("sleep 100 & echo started; echo warn >&2"));
    CHECK(result.ok());
    CHECK(result.out == "started\n");
    CHECK(result.err == "warn\n");
    // Had the runner waited for EOF, it would have waited for the 100 s sleep.
    CHECK(result.wall_seconds < 50);
    CHECK(group_gone(result.pid));
}

TEST_CASE("a missing executable or directory is a clear spawn failure") {
    Spec missing;
    missing.argv = {"detlab-no-such-tool", "--version"};
    auto result = process::run(missing);
    CHECK(result.outcome == Result::Outcome::spawn_failed);
    CHECK(result.error == "executable not found: detlab-no-such-tool");
    CHECK(result.describe() == result.error);

    missing.argv = {"/nonexistent/tool"};
    CHECK(process::run(missing).error == "executable not found: /nonexistent/tool");

    Spec bad_cwd = shell("true");
    bad_cwd.cwd = "/nonexistent/dir";
    auto no_dir = process::run(bad_cwd);
    CHECK(no_dir.outcome == Result::Outcome::spawn_failed);
    CHECK(no_dir.error == "working directory not found: /nonexistent/dir");

    CHECK(process::find_executable("sh").filename() == "sh");
    CHECK(process::find_executable("detlab-no-such-tool").empty());
}

TEST_CASE("environment, working directory, umask and ASLR are applied in the child") {
    auto dir = make_temp_dir("process-cwd", DETLAB_TEST_TMP);
    Spec spec = shell("echo \"$DETLAB_X|${HOME-unset}|$(pwd)|$(umask)\"; "
                      "cat /proc/self/personality");
    spec.cwd = dir;
    spec.set_env = {{"DETLAB_X", "forty two"}};
    spec.unset_env = {"HOME"};
    spec.umask = 027;
    spec.disable_aslr = true;
    auto result = process::run(spec);
    REQUIRE(result.ok());
    auto lines = result.out;
    CHECK(lines.substr(0, lines.find('\n')) ==
          "forty two|unset|" + std::filesystem::canonical(dir).string() + "|0027");
    CHECK(lines.substr(lines.find('\n') + 1) == "00040000\n"); // ADDR_NO_RANDOMIZE

    Spec plain = shell("cat /proc/self/personality; umask");
    CHECK(process::run(plain).out.substr(0, 9) == "00000000\n");

    Spec only = shell("env");
    only.argv[0] = "/bin/sh";
    only.clear_env = true;
    only.set_env = {{"ONLY", "1"}};
    auto env = process::run(only);
    CHECK(env.out.find("ONLY=1\n") != std::string::npos);
    CHECK(env.out.find("HOME=") == std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("stdin data reaches the child") {
    Spec spec;
    spec.argv = {"cat"};
    spec.stdin_data = std::string(200000, 'x') + "end";
    auto result = process::run(spec);
    CHECK(result.ok());
    CHECK(result.out == spec.stdin_data);
    // No stdin data: the child reads EOF at once instead of waiting on ours.
    spec.stdin_data.clear();
    spec.timeout = std::chrono::seconds(20);
    CHECK(process::run(spec).ok());
}

TEST_CASE("resource usage of a busy child is recorded") {
    auto result = process::run(shell("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"));
    REQUIRE(result.ok());
    CHECK(result.user_seconds + result.system_seconds > 0);
    CHECK(result.wall_seconds > 0);
    CHECK(result.max_rss_kib > 0);
}

TEST_CASE("a cancel flag stops the child and its group") {
    std::atomic<bool> cancel{false};
    Spec spec = shell("sleep 100 & sleep 100");
    spec.cancel = &cancel;
    std::thread setter([&cancel] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel = true;
    });
    auto result = process::run(spec);
    setter.join();
    CHECK(result.cancelled);
    CHECK(result.outcome == Result::Outcome::signalled);
    CHECK(result.signal == SIGKILL);
    CHECK(group_gone(result.pid));
}

TEST_CASE("a child exiting as the cancel poll fires does not leave the run waiting") {
    // The cancel flag is polled every 100 ms; children that exit around that moment make the
    // poll's expiry and the exit arrive together. A hang here shows up as the ctest timeout.
    std::atomic<bool> cancel{false};
    for (int step = 0; step < 100; ++step) {
        Spec spec;
        double seconds = 0.090 + 0.0002 * step;
        spec.argv = {"sleep", std::to_string(seconds)};
        spec.cancel = &cancel;
        spec.timeout = std::chrono::milliseconds(5000);
        auto result = process::run(spec);
        REQUIRE(result.ok());
        CHECK_FALSE(result.cancelled);
    }
}

TEST_CASE("a tool and its grandchildren die when the runner is killed with SIGKILL") {
    // A stand-in for detlab: a forked copy of this test that runs a tool which starts a
    // grandchild, then is killed with its whole process group (as a shell's kill -9 -PGID).
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "process" / "orphans";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto pids = dir / "pids";
    pid_t runner = ::fork();
    REQUIRE(runner >= 0);
    if (runner == 0) {
        ::setpgid(0, 0);
        process::run(shell("sleep 300 & echo $! > " + pids.string() + ".tmp; echo $$ >> " +
                           pids.string() + ".tmp; mv " + pids.string() + ".tmp " + pids.string() +
                           "; wait"));
        ::_exit(0);
    }
    for (int i = 0; i < 200 && !std::filesystem::exists(pids); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    REQUIRE(std::filesystem::exists(pids));
    std::istringstream lines(read_file_text(pids));
    pid_t grandchild = 0, tool = 0;
    lines >> grandchild >> tool;
    REQUIRE(grandchild > 0);
    REQUIRE(tool > 0);
    CHECK(::kill(tool, 0) == 0);
    ::kill(-runner, SIGKILL);
    int status = 0;
    ::waitpid(runner, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(group_gone(tool)); // the tool's group: the tool and the grandchild
    auto gone = [](pid_t pid) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            if (::kill(pid, 0) == -1 && errno == ESRCH)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    };
    CHECK(gone(tool));
    CHECK(gone(grandchild));
}
