// The work root: detlab deletes only what it made, and concurrent sweeps of one experiment on
// one store (stand-in domains, no tools) run each run once.
#include "fake_domains.h"
#include "tests/fresh_dir.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

using namespace detlab;
using namespace detlab::sweep;
using detlab::sweep::testing::fake_domains;
namespace fs = std::filesystem;

namespace {

const char* kExperiment = R"([experiment]
name = "workspace"
[toolchain]
[[toolchain.vary]]
factor = "seed"
values = [1, 2, 3, 4, 5, 6, 7, 8]
)";

fs::path fresh_dir(const std::string& name) {
    return detlab::test::fresh_dir("sweep-workspace", name);
}

// Counts executions per seed; each run leaves a file in its work directory. Runs execute on the
// sweep's worker threads, where Catch2 must not assert: what they find wrong goes into
// `problems`, which each test checks on its own thread.
struct Counter {
    std::mutex mutex;
    std::map<int, int> runs;
    std::vector<std::string> problems;
    std::set<fs::path> work_dirs;
    double sleep_s = 0.02;

    RunFunction function() {
        return [this](const nlohmann::json& config, int, const observation::Context& context) {
            write_file(context.work_root / "scratch.txt", std::string_view("x"));
            std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
            bool kept = fs::exists(context.work_root / "scratch.txt"); // nobody deleted it
            std::lock_guard lock(mutex);
            if (!kept)
                problems.push_back("scratch.txt deleted in " + context.work_root.string());
            ++runs[config.value("seed", 0)];
            work_dirs.insert(context.work_root);
            return db::RunResult{};
        };
    }
};

} // namespace

TEST_CASE("a work root that is a user's file is refused and kept, nothing written") {
    Counter counter;
    auto domains = fake_domains(counter.function(), counter.function());
    auto experiment = parse_experiment(kExperiment, "workspace.toml", domains);
    auto dir = fresh_dir("file");
    RunOptions options;
    options.db_path = dir / "detlab.db";
    write_file(dir / "v.txt", std::string_view("precious\n"));
    options.work_root = dir / "v.txt";
    CHECK_THROWS_AS(run_sweep(experiment, domains, options), InputError);
    CHECK(read_file_text(dir / "v.txt") == "precious\n");
    CHECK_FALSE(fs::exists(options.db_path));

    // The default work root "<db>.work" taken by a user's file: the same.
    write_file(dir / "detlab.db.work", std::string_view("mine\n"));
    options.work_root.clear();
    CHECK_THROWS_AS(run_sweep(experiment, domains, options), InputError);
    CHECK(read_file_text(dir / "detlab.db.work") == "mine\n");
    CHECK(counter.runs.empty());
    CHECK(counter.problems.empty());
}

TEST_CASE("an existing work directory is kept with its files, one detlab made is removed") {
    Counter counter;
    auto domains = fake_domains(counter.function(), counter.function());
    auto experiment = parse_experiment(kExperiment, "workspace.toml", domains);
    auto dir = fresh_dir("dirs");
    RunOptions options;
    options.db_path = dir / "detlab.db";
    options.work_root = dir / "scratch";
    fs::create_directories(options.work_root / "mine");
    write_file(options.work_root / "notes.txt", std::string_view("keep\n"));
    // What a killed detlab leaves: a session whose lock nobody holds, signed as detlab's. And
    // a user's directories that merely look like one: no lock file, or a lock file of their
    // own (issue 28: those were removed too).
    fs::create_directories(options.work_root / "session-dead42" / "0123");
    write_file(options.work_root / "session-dead42" / ".lock",
               std::string_view("detlab run session\n"));
    fs::create_directories(options.work_root / "session-user");
    fs::create_directories(options.work_root / "session-locked");
    write_file(options.work_root / "session-locked" / ".lock", std::string_view("mine\n"));
    CHECK(run_sweep(experiment, domains, options).done == 8);
    CHECK(read_file_text(options.work_root / "notes.txt") == "keep\n");
    CHECK(fs::is_directory(options.work_root / "mine"));
    CHECK(fs::is_directory(options.work_root / "session-user"));
    CHECK(read_file_text(options.work_root / "session-locked" / ".lock") == "mine\n");
    CHECK_FALSE(fs::exists(options.work_root / "session-dead42"));
    std::size_t entries = 0;
    for (const auto& entry : fs::directory_iterator(options.work_root)) {
        (void)entry;
        ++entries;
    }
    CHECK(entries == 4); // mine, notes.txt and the user's two: nothing of detlab's is left

    // An empty directory the user made stays too.
    fs::create_directories(dir / "empty");
    options.work_root = dir / "empty";
    options.retry_failed = false;
    run_sweep(experiment, domains, options);
    CHECK(fs::is_directory(dir / "empty"));

    // The default "<db>.work" is detlab's own and goes when the sweep ends.
    options.work_root.clear();
    options.db_path = dir / "other.db";
    CHECK(run_sweep(experiment, domains, options).done == 8);
    CHECK_FALSE(fs::exists(dir / "other.db.work"));
    CHECK(counter.problems.empty());
}

TEST_CASE("two sweeps of one experiment on one store run each run once, none failed") {
    Counter counter;
    counter.sleep_s = 0.1;
    auto domains = fake_domains(counter.function(), counter.function());
    auto experiment = parse_experiment(kExperiment, "workspace.toml", domains);
    auto dir = fresh_dir("concurrent");
    RunOptions options;
    options.db_path = dir / "detlab.db";
    options.jobs = 2;
    { db::Store create(options.db_path); }
    SweepSummary first, second;
    std::thread other([&] { second = run_sweep(experiment, domains, options); });
    first = run_sweep(experiment, domains, options);
    other.join();
    CHECK(first.failed + second.failed == 0);
    CHECK(first.done + second.done == 8);
    CHECK(first.done_elsewhere + second.done_elsewhere + first.done + second.done >= 8);
    REQUIRE(counter.runs.size() == 8);
    for (const auto& [seed, count] : counter.runs)
        CHECK(count == 1);
    db::Store store(options.db_path);
    auto rows = store.runs();
    CHECK(rows.size() == 8);
    for (const auto& row : rows)
        CHECK(row.status == "done");
    CHECK_FALSE(fs::exists(options.db_path.string() + ".work"));
    CHECK(counter.problems.empty());
}

TEST_CASE("a claim a killed detlab left after recording its run is removed with the work root") {
    Counter counter;
    auto domains = fake_domains(counter.function(), counter.function());
    auto experiment = parse_experiment(kExperiment, "workspace.toml", domains);
    auto dir = fresh_dir("stale-claim");
    RunOptions options;
    options.db_path = dir / "detlab.db";
    CHECK(run_sweep(experiment, domains, options).done == 8);
    // What kill -9 between recording a run and releasing its claim leaves (issue 30: the next
    // invocation found every run done, never claimed that one, and kept the root for it).
    auto root = dir / "detlab.db.work";
    fs::create_directories(root);
    write_file(root / ".detlab-work-root",
               std::string_view("made by detlab run; removed when empty\n"));
    write_file(root / "0123abcd.claim", std::string_view("detlab run claim\n"));
    auto again = run_sweep(experiment, domains, options);
    CHECK(again.already_done == 8);
    CHECK(again.done == 0);
    CHECK_FALSE(fs::exists(root));

    // A file that merely ends in ".claim" (not signed, or locked by a live process) stays.
    fs::create_directories(root);
    write_file(root / ".detlab-work-root",
               std::string_view("made by detlab run; removed when empty\n"));
    write_file(root / "notes.claim", std::string_view("mine\n"));
    write_file(root / "held.claim", std::string_view("detlab run claim\n"));
    int held = ::open((root / "held.claim").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(held >= 0);
    REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);
    run_sweep(experiment, domains, options);
    CHECK(read_file_text(root / "notes.claim") == "mine\n");
    CHECK(fs::exists(root / "held.claim"));
    ::close(held);
    CHECK(counter.problems.empty());
}
