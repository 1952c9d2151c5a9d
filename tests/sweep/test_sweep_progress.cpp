// The progress display: its pure formatters and the Progress object driven by a fake clock,
// for a terminal (one redrawn line) and for a log (a line per start, stage change and finish);
// and the runner's per-study outcome with stand-in domains.
#include "fake_domains.h"
#include "harness/sweep/progress.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

using namespace detlab;
using namespace detlab::sweep;

namespace {

PlannedRun planned(const std::string& id, const std::string& kind, int seed) {
    PlannedRun run;
    run.id = id;
    run.kind = kind;
    run.study = "seeds";
    run.factor = "seed";
    run.factor_value = seed;
    return run;
}

// A clock the test moves by hand; read from the ticker thread too.
struct FakeClock {
    std::shared_ptr<std::atomic<double>> now = std::make_shared<std::atomic<double>>(100.0);
    Progress::Clock clock() const {
        return [now = now] {
            return now->load();
        };
    }
    void set(double seconds) { now->store(seconds); }
};

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

} // namespace

TEST_CASE("the status line shows counts, ETA and each active run's stage and elapsed time") {
    ProgressCounts counts{4, 1, 0, 100.0};
    std::vector<ActiveRun> active{
        {"0123456789abcdef", "toolchain", "nextpnr (place and route)", 110.0},
        {"fedcba9876543210", "train", "", 125.0}};
    CHECK(format_status_line(counts, active, 130.0, 200) ==
          "[#####...............] 1/4  done 1  failed 0  elapsed 30s  ETA 1m30s"
          " | 01234567 nextpnr (place and route) 20s | fedcba98 starting 5s");
    // Cut to one column less than the terminal, so the line never wraps.
    auto narrow = format_status_line(counts, active, 130.0, 40);
    CHECK(narrow == "[#####...............] 1/4  done 1  fai");
    CHECK(format_status_line({2, 0, 0, 0.0}, {}, 3725.0, 200) ==
          "[....................] 0/2  done 0  failed 0  elapsed 1h02m  ETA ?");
    CHECK(format_stage_line(active[0], 172.4) ==
          "detlab run: stage  toolchain 0123456789abcdef  nextpnr (place and route)  at 1m02s");
}

TEST_CASE("off a terminal each stage change is one plain line, repeats are not") {
    FakeClock clock;
    std::ostringstream out;
    Progress progress(&out, false, 2, 80, std::chrono::milliseconds(0), clock.clock());
    auto run = planned("aaaaaaaaaaaaaaaa", "toolchain", 3);
    progress.started(run);
    clock.set(101);
    progress.stage(run, "yosys (synthesis)");
    progress.stage(run, "yosys (synthesis)");
    clock.set(104);
    progress.stage(run, "nextpnr (place and route)");
    clock.set(109);
    progress.finished(run, "done", 9.0, "", "5f72c1a0e3375866");
    progress.close();
    CHECK(out.str() ==
          "detlab run: start  toolchain aaaaaaaaaaaaaaaa  seeds: seed=3 (repeat 0)\n"
          "detlab run: stage  toolchain aaaaaaaaaaaaaaaa  yosys (synthesis)  at 1s\n"
          "detlab run: stage  toolchain aaaaaaaaaaaaaaaa  nextpnr (place and route)"
          "  at 4s\n"
          "detlab run: [1/2] done  toolchain 5f72c1a0e3375866  seeds: seed=3  9.0 s\n");
}

TEST_CASE("on a terminal one line is redrawn with every active run's stage") {
    FakeClock clock;
    std::ostringstream out;
    Progress progress(&out, true, 2, 120, std::chrono::milliseconds(0), clock.clock());
    auto first = planned("1111111111111111", "toolchain", 1);
    auto second = planned("2222222222222222", "train", 2);
    progress.started(first);
    progress.started(second);
    progress.stage(first, "yosys (synthesis)");
    progress.stage(second, "epoch 1/5");
    clock.set(107);
    progress.redraw();
    std::string text = out.str();
    CHECK(text.find('\n') == std::string::npos); // nothing but redraws so far
    CHECK(text.ends_with("\r\033[K[....................] 0/2  done 0  failed 0  elapsed 7s  ETA ?"
                         " | 11111111 yosys (synthesis) 7s | 22222222 epoch 1/5 7s"));
    progress.finished(first, "failed", 8.0,
                      "yosys exit 1:\nsrc/top.v:3: ERROR: no \033[2Jpin\nmore");
    text = out.str();
    // A failure stays above the line, with its message's first line and the tool's ERROR line
    // (a control character in it made visible); without a recorded run, the slot.
    CHECK_THAT(text, Catch::Contains("\r\033[Kdetlab run: [1/2] failed  toolchain 1111111111111111"
                                     "  seeds: seed=1  8.0 s\n    yosys exit 1:\n"
                                     "    src/top.v:3: ERROR: no ?[2Jpin\n"));
    CHECK_THAT(text, !Catch::Contains("more"));
    CHECK(text.ends_with("] 1/2  done 0  failed 1  elapsed 7s  ETA 7s | 22222222 epoch 1/5 7s"));
    progress.close();
    CHECK(out.str().ends_with("\n"));
}

TEST_CASE("on a terminal the ticker redraws without events and is joined on close") {
    auto now = std::make_shared<std::atomic<double>>(100.0);
    auto reads = std::make_shared<std::atomic<int>>(0);
    Progress::Clock clock = [now, reads] {
        ++*reads;
        return now->load();
    };
    std::ostringstream out;
    {
        Progress progress(&out, true, 1, 120, std::chrono::milliseconds(10), clock);
        auto run = planned("3333333333333333", "toolchain", 1);
        progress.started(run);
        progress.stage(run, "nextpnr (place and route)");
        now->store(142);
        // No more events: only the ticker reads the clock (once a draw). Bounded wait.
        int before = reads->load();
        for (int i = 0; i < 500 && reads->load() < before + 3; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        progress.close();
    }
    CHECK(count_of(out.str(), "nextpnr (place and route) 42s") >= 3);
    CHECK(out.str().ends_with("\n"));
}

TEST_CASE("the runner passes stages to the log and counts each study's failed runs, stored ones "
          "included") {
    const char* text = R"([experiment]
name = "outcomes"
[toolchain]
[[toolchain.vary]]
factor = "seed"
values = [1, 2]
[train]
[[train.vary]]
factor = "repeat"
count = 2
)";
    RunFunction failing = [](const nlohmann::json& config, int,
                             const observation::Context& context) {
        context.on_stage("fake place");
        db::RunResult result;
        result.status = db::kStatusFailed;
        result.message = "ERROR: seed " + std::to_string(config.value("seed", 0)) + "\nmore";
        return result;
    };
    RunFunction working = [](const nlohmann::json&, int, const observation::Context& context) {
        context.on_stage("epoch 1/1");
        return db::RunResult{};
    };
    auto domains = testing::fake_domains(failing, working);
    auto experiment = parse_experiment(text, "outcomes.toml", domains);
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "sweep-progress" / "outcomes";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    RunOptions options;
    options.db_path = dir / "detlab.db";
    std::ostringstream log;
    options.log = &log;
    auto check = [](const SweepSummary& summary) {
        REQUIRE(summary.studies.size() == 2);
        const auto& builds = summary.studies[0];
        CHECK(builds.runs == 2);
        CHECK(builds.failed == 2);
        CHECK(builds.done == 0);
        CHECK(builds.first_failure == "failed: ERROR: seed 1\nmore");
        CHECK(summary.studies[1].runs == 2);
        CHECK(summary.studies[1].done == 2);
        CHECK(summary.studies[1].failed == 0);
    };
    check(run_sweep(experiment, domains, options));
    CHECK(count_of(log.str(), "  fake place  at ") == 2);
    CHECK(count_of(log.str(), "  epoch 1/1  at ") == 2);
    // A second invocation skips everything and reports the same from the store.
    auto again = run_sweep(experiment, domains, options);
    CHECK(again.earlier_failed == 2);
    check(again);
}
