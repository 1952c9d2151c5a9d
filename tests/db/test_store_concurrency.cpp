// Several processes writing one store at once (forked, not spawned: no process::run): WAL, the busy
// timeout and BEGIN IMMEDIATE must make every transaction succeed, including the racing creation of
// a brand-new file.
#include "db/store.h"
#include "tests/db/helpers.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

constexpr int kWriters = 8;
constexpr int kRunsPerWriter = 25;
const std::string kShared = std::string(3000, 's'); // one blob every run refers to

// The child's exit status is its number of failed transactions (0..25).
[[noreturn]] void writer(const fs::path& path, int writer_index, int start_pipe) {
    char go = 0;
    [[maybe_unused]] auto ignored =
        ::read(start_pipe, &go, 1); // returns at EOF: all start together
    int failures = 0;
    try {
        db::Store store(path);
        for (int i = 0; i < kRunsPerWriter; ++i) {
            try {
                auto config = R"({"writer":)" + std::to_string(writer_index) + "}";
                auto run = test::sample_run(config, i, kShared);
                run.add_artifact("own.txt", config + " run " + std::to_string(i));
                // A provenance of the usual size, made up: a unit test starts no probe.
                run.provenance = {{"host", "writer-" + std::to_string(writer_index)},
                                  {"tool.verilator", "Verilator 5.020 2024-01-01"},
                                  {"tool.iverilog", "Icarus Verilog version 12.0 (stable)"},
                                  {"git.commit", std::string(40, 'c')}};
                store.record_run(run);
            } catch (const std::exception& error) {
                std::fprintf(stderr, "writer %d run %d: %s\n", writer_index, i, error.what());
                ++failures;
            }
        }
    } catch (const std::exception& error) {
        // Opening failed: say why (the parent's CHECK only sees the count).
        std::fprintf(stderr, "writer %d: cannot open the store: %s\n", writer_index, error.what());
        failures = kRunsPerWriter;
    }
    ::_exit(failures);
}

} // namespace

TEST_CASE("8 processes write 25 runs each with no failed transaction") {
    auto dir = test::fresh_dir("concurrency");
    auto path = dir / "shared.db"; // does not exist yet: the writers race to create it
    int start[2];
    REQUIRE(::pipe(start) == 0);
    std::vector<pid_t> children;
    for (int w = 0; w < kWriters; ++w) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(start[1]);
            writer(path, w, start[0]);
        }
        children.push_back(pid);
    }
    ::close(start[0]);
    ::close(start[1]);
    int failed_transactions = 0;
    for (pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        failed_transactions += WEXITSTATUS(status);
    }
    CHECK(failed_transactions == 0);

    db::Store store(path);
    auto info = store.info();
    CHECK(info.row_counts.at("runs") == kWriters * kRunsPerWriter);
    CHECK(info.row_counts.at("artifacts") == 2 * kWriters * kRunsPerWriter);
    CHECK(info.row_counts.at("metrics") == 3 * kWriters * kRunsPerWriter);
    CHECK(info.blob_count == kWriters * kRunsPerWriter + 1); // the shared blob stored once
    for (int w = 0; w < kWriters; ++w)
        for (int i = 0; i < kRunsPerWriter; ++i) {
            auto id = db::run_id("toolchain", R"({"writer":)" + std::to_string(w) + "}", i);
            auto own = store.artifact_bytes(id, "own.txt");
            REQUIRE(own);
            CHECK(std::string(own->begin(), own->end()) ==
                  R"({"writer":)" + std::to_string(w) + "} run " + std::to_string(i));
        }
    CHECK(store.check().ok);
}

namespace {

// Records one observation of the shared configuration under the next free repeat, after every
// writer has seen the store with none (so each one's own guess is 0); exits with the guess * 16 +
// the repeat it got, or 255 on an error.
[[noreturn]] void repeat_writer(const fs::path& path, int ready_pipe, int start_pipe) {
    int code = 255;
    try {
        db::Store store(path);
        auto run = test::sample_run(R"({"same":1})", 0, "same");
        run.id = db::new_observation_id();
        run.config_id = db::configuration_id("toolchain", run.config_json, {});
        int guess = store.next_repeat("unit", run.config_id); // what each process sees first
        char byte = 1;
        [[maybe_unused]] auto written = ::write(ready_pipe, &byte, 1);
        [[maybe_unused]] auto read = ::read(start_pipe, &byte, 1); // EOF: all record together
        int got = store.record_run_next_repeat(run);
        code = guess * 16 + got;
    } catch (const std::exception&) {
    }
    ::_exit(code);
}

} // namespace

TEST_CASE("processes recording one configuration at once get distinct repeats") {
    auto path = test::fresh_dir("concurrent-repeats") / "shared.db";
    { db::Store created(path); } // so each writer's first look finds it empty
    int ready[2], start[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(start) == 0);
    std::vector<pid_t> children;
    for (int w = 0; w < kWriters; ++w) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(ready[0]);
            ::close(start[1]);
            repeat_writer(path, ready[1], start[0]);
        }
        children.push_back(pid);
    }
    ::close(ready[1]);
    ::close(start[0]);
    char byte = 0;
    int seen = 0;
    while (seen < kWriters && ::read(ready[0], &byte, 1) == 1)
        ++seen;
    REQUIRE(seen == kWriters); // every writer guessed before any recorded
    ::close(start[1]);
    ::close(ready[0]);
    std::multiset<int> got;
    for (pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        int code = WEXITSTATUS(status);
        REQUIRE(code != 255);
        CHECK(code / 16 == 0); // all guessed repeat 0: the guess alone would collide
        got.insert(code % 16);
    }
    std::multiset<int> expected;
    for (int r = 0; r < kWriters; ++r)
        expected.insert(r);
    CHECK(got == expected);
    db::Store store(path);
    auto rows = store.runs();
    REQUIRE(rows.size() == static_cast<std::size_t>(kWriters));
    std::multiset<int> stored;
    for (const auto& row : rows)
        stored.insert(row.repeat);
    CHECK(stored == expected);
}
