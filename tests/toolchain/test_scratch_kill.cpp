// A `detlab synth` killed with SIGKILL mid-build cannot remove its scratch directory; the next
// detlab does, and leaves alone what it did not make (issue 28). Real tools, a private $TMPDIR.
#include "db/store.h"
#include "tests/sweep/cli_helpers.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <thread>

using namespace detlab;
using namespace detlab::sweep::testing;
namespace fs = std::filesystem;

namespace {

// The build directories detlab made (and signed) in `tmp`.
std::vector<fs::path> build_dirs(const fs::path& tmp) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tmp, ec))
        if (entry.path().filename().string().starts_with("detlab-build-") && !entry.is_symlink() &&
            fs::exists(entry.path() / ".detlab-scratch") &&
            read_file_text(entry.path() / ".detlab-scratch")
                .starts_with("detlab scratch directory\n")) // not the test's look-alike
            found.push_back(entry.path());
    return found;
}

// A build directory whose sources are written: the build is under way.
std::optional<fs::path> building(const fs::path& tmp) {
    for (const auto& dir : build_dirs(tmp)) {
        std::error_code ec;
        if (fs::exists(dir / "build" / "src" / "sources.txt", ec) ||
            !fs::is_empty(dir / "build" / "src", ec))
            return dir;
    }
    return std::nullopt;
}

} // namespace

TEST_CASE("scratch of a synth killed with SIGKILL is removed by the next run, look-alikes kept") {
    auto dir = fresh_test_dir("scratch-kill");
    auto tmp = dir / "tmp";
    auto user = dir / "user";
    fs::create_directories(tmp);
    fs::create_directories(user);
    ::setenv("TMPDIR", tmp.c_str(), 1); // this test's process and the detlab it spawns
    std::vector<std::string> args{"synth",  "--array", "2",    "--device", "hx1k",
                                  "--seed", "3",       "--db", "s.db"};
    pid_t pid = spawn_detlab(args, dir);
    REQUIRE(pid > 0);
    std::optional<fs::path> left;
    // Waits for a condition, not a duration: the loaded machine decides how long it takes.
    while (!(left = building(tmp))) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) != 0) {
            INFO(read_file_text(dir / "background.log"));
            FAIL("detlab ended before its build started");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(fs::is_directory(*left)); // what a kill -9 leaves behind
    auto signature = read_file_text(*left / ".detlab-scratch");

    // Look-alikes in the same $TMPDIR, named like stale scratch of a dead process.
    auto lookalike = tmp / "detlab-build-0123.4194305.1.0badc0de";
    fs::create_directories(lookalike / "build");
    write_file(lookalike / ".detlab-scratch", std::string_view("my own lock file\n"));
    write_file(lookalike / "build" / "notes.txt", std::string_view("the user's"));
    fs::create_directories(user / "copy");
    write_file(user / "copy" / ".detlab-scratch", signature);
    write_file(user / "copy" / "data.txt", std::string_view("the user's"));
    auto link = tmp / "detlab-build-4567.4194305.1.0badc0df";
    fs::create_directory_symlink(user / "copy", link);
    auto plain = tmp / "detlab-build-mine";
    fs::create_directories(plain);

    auto again = run_detlab(args, dir, {{"TMPDIR", tmp.string()}});
    INFO(again.out + again.err);
    REQUIRE(again.code == 0);
    CHECK_FALSE(fs::exists(*left));
    CHECK(build_dirs(tmp).empty()); // the second build removed its own, too
    CHECK(read_file_text(lookalike / "build" / "notes.txt") == "the user's");
    CHECK(fs::is_symlink(link));
    CHECK(read_file_text(user / "copy" / "data.txt") == "the user's");
    CHECK(read_file_text(user / "copy" / ".detlab-scratch") == signature);
    CHECK(fs::is_directory(plain));
    db::Store store(dir / "s.db");
    CHECK(store.runs().size() == 1); // the killed build recorded nothing
}
