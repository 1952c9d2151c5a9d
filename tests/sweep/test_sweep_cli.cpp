// `detlab run`, `merge` and `slurm` end to end with the real tools (small 2x2 / HX1K builds).
#include "cli_helpers.h"
#include "db/store.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

using namespace detlab;
using namespace detlab::sweep::testing;

namespace {

// Four seeds of the small build: one synthesis, four place-and-routes.
const char* kSweep = R"([experiment]
name = "cli"
domains = ["toolchain"]

[toolchain]
array = 2
device = "hx1k"

[[toolchain.vary]]
factor = "seed"
values = [1, 2, 3, 4]
)";
constexpr std::size_t kSweepRuns = 4;

std::int64_t count_runs(const std::filesystem::path& db_path, const std::string& status = "") {
    if (!std::filesystem::exists(db_path))
        return 0;
    db::Store store(db_path);
    db::RunFilter filter;
    if (!status.empty())
        filter.status = status;
    return static_cast<std::int64_t>(store.runs(filter).size());
}

// Every planned run present exactly once, done, and the database consistent.
void check_complete(const std::filesystem::path& dir, const std::string& db_name) {
    auto listed = run_detlab({"run", "exp.toml", "--list"}, dir);
    REQUIRE(listed.code == 0);
    db::Store store(dir / db_name);
    auto rows = store.runs();
    CHECK(rows.size() == kSweepRuns);
    std::set<std::string> configurations;
    for (const auto& row : rows) {
        configurations.insert(row.config_id);
        CHECK(row.status == "done");
        CHECK(listed.out.find(row.config_id) != std::string::npos);
    }
    CHECK(configurations.size() == kSweepRuns); // one observation of each configuration
    auto check = run_detlab({"db", "check", "--db", db_name}, dir);
    CHECK(check.code == 0);
    INFO(check.out + check.err);
}

void wait_for_runs(const std::filesystem::path& db_path, std::int64_t count, pid_t pid) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(600);
    while (count_runs(db_path) < count) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE(::waitpid(pid, nullptr, WNOHANG) == 0); // still running
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace

TEST_CASE("bad experiment files exit 2 with file:line: key before anything runs") {
    auto dir = fresh_test_dir("bad-input");
    struct Case {
        std::string text, message;
    };
    std::vector<Case> cases{
        {"[toolchain]\narray = 2\n[[toolchain.vary]\n", "bad.toml:3: invalid TOML: "},
        {"[experiment]\nname = \"x\"\n[toolchain]\nsed = 4\n",
         "bad.toml:4: toolchain.sed: unknown key (valid keys: array, device, "},
        {"[toolchain]\nthreads = \"two\"\n",
         "bad.toml:2: toolchain.threads: expected an integer, got \"two\""},
        {"[toolchain]\n\narray = 99\n", "bad.toml:3: toolchain.array: value 99 is out of range"},
        {"[train]\nbackend = \"gpu\"\n", "bad.toml:2: train.backend: \"gpu\" is not one of: "},
        {"[toolchain]\n[[toolchain.vary]]\nfactor = \"colour\"\nvalues = [1]\n",
         "bad.toml:3: toolchain.vary[1].factor: unknown factor \"colour\" (valid factors: "
         "repeat, "},
        {"[train]\n[[train.vary]]\nfactor = \"init_seed\"\nvalues = [1, \"2\"]\n",
         "bad.toml:4: train.vary[1].values: expected an integer, got \"2\""},
    };
    for (const auto& c : cases) {
        write_file(dir / "bad.toml", c.text);
        auto outcome = run_detlab({"run", "bad.toml", "--db", "never.db"}, dir);
        INFO(c.text);
        CHECK(outcome.code == 2);
        CHECK(outcome.err.rfind("detlab: " + c.message, 0) == 0);
        INFO(outcome.err);
        CHECK_FALSE(std::filesystem::exists(dir / "never.db"));
    }
    write_file(dir / "good.toml", kSweep);
    auto shard = run_detlab({"run", "good.toml", "--shard", "4/4", "--db", "never.db"}, dir);
    CHECK(shard.code == 2);
    CHECK(shard.err.find("--shard: \"4/4\" is not I/N") != std::string::npos);
    auto missing = run_detlab({"run", "nothere.toml"}, dir);
    CHECK(missing.code == 2);
    CHECK(missing.err == "detlab: nothere.toml: no such experiment file\n");
    CHECK_FALSE(std::filesystem::exists(dir / "never.db"));
}

TEST_CASE("kill -9 in the middle of a sweep, then the same command completes it") {
    auto dir = fresh_test_dir("kill9");
    write_file(dir / "exp.toml", kSweep);
    std::vector<std::string> args{"run", "exp.toml", "--db", "sweep.db", "-j", "2"};
    pid_t pid = spawn_detlab(args, dir);
    REQUIRE(pid > 0);
    wait_for_runs(dir / "sweep.db", 1, pid);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    auto recorded = count_runs(dir / "sweep.db");
    CHECK(recorded >= 1);
    CHECK(recorded < static_cast<std::int64_t>(kSweepRuns)); // it really was mid-sweep

    auto again = run_detlab(args, dir);
    INFO(again.out + again.err);
    REQUIRE(again.code == 0);
    CHECK(again.out.find("already done " + std::to_string(recorded)) != std::string::npos);
    check_complete(dir, "sweep.db");
    CHECK_FALSE(std::filesystem::exists(dir / "sweep.db.work"));
}

TEST_CASE("Ctrl-C stops a sweep cleanly and the next run resumes it") {
    auto dir = fresh_test_dir("sigint");
    write_file(dir / "exp.toml", kSweep);
    std::vector<std::string> args{"run", "exp.toml", "--db", "sweep.db"};
    pid_t pid = spawn_detlab(args, dir);
    REQUIRE(pid > 0);
    wait_for_runs(dir / "sweep.db", 1, pid);
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    auto log = read_file_text(dir / "background.log");
    CHECK(log.find("interrupted: ") != std::string::npos);
    CHECK(count_runs(dir / "sweep.db", "failed") == 0); // nothing half-done recorded
    CHECK(count_runs(dir / "sweep.db") < static_cast<std::int64_t>(kSweepRuns));
    REQUIRE(run_detlab(args, dir).code == 0);
    check_complete(dir, "sweep.db");
}

TEST_CASE("shards run disjoint shares that merge into the whole sweep") {
    auto dir = fresh_test_dir("shards");
    write_file(dir / "exp.toml", kSweep);
    std::multiset<std::string> listed_ids;
    for (const char* shard : {"0/2", "1/2"}) {
        auto list = run_detlab({"run", "exp.toml", "--list", "--shard", shard}, dir);
        REQUIRE(list.code == 0);
        for (std::size_t at = list.out.find('\n'); at + 1 < list.out.size();
             at = list.out.find('\n', at + 1))
            listed_ids.insert(list.out.substr(at + 1, 16));
        auto run =
            run_detlab({"run", "exp.toml", "--shard", shard, "--db", "detlab.db", "-j", "2"}, dir);
        INFO(run.err);
        REQUIRE(run.code == 0);
    }
    CHECK(listed_ids.size() == kSweepRuns);
    CHECK(std::set<std::string>(listed_ids.begin(), listed_ids.end()).size() == kSweepRuns);
    auto merge = run_detlab({"merge", "detlab.db", "detlab.shard-0.db", "detlab.shard-1.db"}, dir);
    INFO(merge.out + merge.err);
    REQUIRE(merge.code == 0);
    CHECK(merge.out.find("detlab.db: added 4 observations (0 renamed), skipped 0") !=
          std::string::npos);
    check_complete(dir, "detlab.db");
    // Merging again adds nothing: the observations are there already.
    auto again = run_detlab({"merge", "detlab.db", "detlab.shard-1.db"}, dir);
    CHECK(again.code == 0);
    CHECK(again.out.find("added 0 observations (0 renamed), skipped 2") != std::string::npos);
}

TEST_CASE("two detlab run of one experiment on one database: each run done once, none failed") {
    auto dir = fresh_test_dir("concurrent");
    write_file(dir / "exp.toml", kSweep);
    std::filesystem::create_directories(dir / "a");
    std::filesystem::create_directories(dir / "b");
    auto db_path = (dir / "sweep.db").string();
    auto exp = (dir / "exp.toml").string();
    pid_t first = spawn_detlab({"run", exp, "--db", db_path, "--no-progress"}, dir / "a");
    pid_t second = spawn_detlab({"run", exp, "--db", db_path, "--no-progress"}, dir / "b");
    REQUIRE(first > 0);
    REQUIRE(second > 0);
    for (pid_t pid : {first, second}) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    auto log_a = read_file_text(dir / "a" / "background.log");
    auto log_b = read_file_text(dir / "b" / "background.log");
    INFO(log_a + "\n----\n" + log_b);
    CHECK(log_a.find("failed  ") == std::string::npos);
    CHECK(log_b.find("failed  ") == std::string::npos);
    // Each build ran in exactly one of the two processes.
    auto starts = [](const std::string& log) {
        std::size_t count = 0;
        for (auto at = log.find("detlab run: start"); at != std::string::npos;
             at = log.find("detlab run: start", at + 1))
            ++count;
        return count;
    };
    CHECK(starts(log_a) + starts(log_b) == kSweepRuns);
    check_complete(dir, "sweep.db");
    CHECK(count_runs(dir / "sweep.db", "failed") == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "sweep.db.work"));
}

TEST_CASE("a --work-dir naming a user's file is refused with exit 2 and the file kept") {
    auto dir = fresh_test_dir("workdir-file");
    write_file(dir / "exp.toml", kSweep);
    write_file(dir / "v.txt", std::string_view("x\n"));
    auto result = run_detlab({"run", "exp.toml", "--db", "t.db", "--work-dir", "v.txt"}, dir);
    CHECK(result.code == 2);
    CHECK(result.err.find("is not a directory") != std::string::npos);
    CHECK(read_file_text(dir / "v.txt") == "x\n");
    CHECK_FALSE(std::filesystem::exists(dir / "t.db"));
}

namespace {

// Pids of the processes whose working directory is inside `dir` (the tools of a build).
std::vector<pid_t> processes_working_in(const std::filesystem::path& dir) {
    std::vector<pid_t> found;
    std::string prefix = std::filesystem::weakly_canonical(dir).string() + "/";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        auto cwd = std::filesystem::read_symlink(entry.path() / "cwd", ec);
        if (!ec && (cwd.string() + "/").rfind(prefix, 0) == 0)
            found.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return found;
}

} // namespace

TEST_CASE("SIGKILL of detlab during a build leaves no tool process behind") {
    auto dir = fresh_test_dir("orphans");
    write_file(dir / "exp.toml", kSweep);
    // A yosys that hangs with a child of its own (so a grandchild of detlab), found first on
    // PATH: the real tools finish too soon to tell "killed" from "done".
    std::filesystem::create_directories(dir / "bin");
    write_file(dir / "bin" / "yosys", std::string_view("#!/bin/sh\n"
                                                       "[ \"$1\" = -V ] && exec echo 'Yosys 0.0'\n"
                                                       // the design check before the sweep
                                                       "[ \"$1\" = -q ] && exit 0\n"
                                                       "sleep 300 &\nsleep 301\n"));
    std::filesystem::permissions(dir / "bin" / "yosys", std::filesystem::perms::owner_all);
    std::string path = (dir / "bin").string() + ":" + std::getenv("PATH");
    ::setenv("PATH", path.c_str(), 1); // this test's own process only
    pid_t pid = spawn_detlab({"run", "exp.toml", "--db", "sweep.db"}, dir);
    REQUIRE(pid > 0);
    auto work = dir / "sweep.db.work";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    // Wait for a tool that has been working for a while (yosys, then nextpnr), not a
    // short-lived helper that would be gone anyway.
    std::vector<pid_t> busy;
    while (true) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        REQUIRE(::waitpid(pid, nullptr, WNOHANG) == 0);
        auto now = processes_working_in(work);
        bool same = !now.empty() && now == busy;
        busy = now;
        if (same)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    std::vector<pid_t> left;
    // SIGKILL is delivered at once; a second is plenty (yosys alone runs longer than that).
    for (int attempt = 0; attempt < 20; ++attempt) {
        left = processes_working_in(work);
        if (left.empty())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (pid_t stray : left) // do not leave them running even when the test fails
        ::kill(stray, SIGKILL);
    CHECK(busy.size() >= 2); // the hanging yosys and its child were seen
    CHECK(left.empty());
}

// A study whose every build fails in nextpnr (the pin file's TQ144 pin numbers do not exist on
// the CM36 package, which the HX1K die also comes in: valid keys, an impossible combination)
// next to one that builds and one that does both.
TEST_CASE("run prints each build's stages off a terminal and exits 1 when a study measured "
          "nothing, also when resumed") {
    auto dir = fresh_test_dir("failing-study");
    write_file(dir / "exp.toml", std::string_view(R"([experiment]
name = "failing"
domains = ["toolchain"]

[toolchain]
array = 2
device = "hx1k"

[[toolchain.vary]]
factor = "seed"
values = [1]

[[toolchain.vary]]
name = "mixed"
factor = "package"
values = ["tq144", "cm36"]
with = { seed = 2 }

[[toolchain.vary]]
name = "wrong-package"
factor = "seed"
values = [3, 4]
with = { package = "cm36" }
)"));
    auto first = run_detlab({"run", "exp.toml", "--db", "detlab.db"}, dir);
    INFO(first.out + first.err);
    CHECK(first.code == 1);
    // Off a terminal: a plain line per stage of each build (no redraws).
    CHECK(first.err.find("  yosys (synthesis)  at ") != std::string::npos);
    CHECK(first.err.find("  nextpnr (place and route)  at ") != std::string::npos);
    CHECK(first.err.find("  icepack (pack)  at ") != std::string::npos);
    CHECK(first.err.find("  icetime (timing)  at ") != std::string::npos);
    CHECK(first.err.find('\r') == std::string::npos);
    auto summary_of = [](const std::string& out) {
        std::string lines;
        for (std::size_t at = out.find("  study "); at != std::string::npos;
             at = out.find("  study ", at + 1))
            lines += out.substr(at, out.find('\n', at) - at) + "\n";
        return lines;
    };
    auto summary = summary_of(first.out);
    CHECK(summary.find("study wrong-package: all 2 run(s) failed; first: failed: nextpnr ") !=
          std::string::npos);
    CHECK(summary.find("study mixed: 1 of 2 run(s) failed (1 done); first: failed: nextpnr ") !=
          std::string::npos);
    CHECK(summary.find("study seed") == std::string::npos); // it lost nothing
    CHECK(first.out.find("detlab runs --status failed") != std::string::npos);
    CHECK(count_runs(dir / "detlab.db", "failed") == 3);

    // Nothing left to run: the stored failures give the same verdict.
    auto again = run_detlab({"run", "exp.toml", "--db", "detlab.db"}, dir);
    INFO(again.out + again.err);
    CHECK(again.code == 1);
    CHECK(summary_of(again.out) == summary);
    CHECK(again.out.find("skipped 3 that failed before") != std::string::npos);

    // The table names each run's study, point, quality and message.
    auto runs = run_detlab({"runs", "--db", "detlab.db", "--status", "failed"}, dir);
    CHECK(runs.code == 0);
    CHECK(runs.out.find("wrong-package  seed     3") != std::string::npos);
    CHECK(runs.out.find("nextpnr ") != std::string::npos);
}
