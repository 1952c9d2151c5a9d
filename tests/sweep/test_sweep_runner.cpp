// The runner with stand-in domains (no tools): resume, retry, setup groups, cancellation.
#include "fake_domains.h"
#include "tests/fresh_dir.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

using namespace detlab;
using namespace detlab::sweep;
using detlab::sweep::testing::fake_domains;

namespace {

const char* kExperiment = R"([experiment]
name = "runner"
[toolchain]
[[toolchain.vary]]
factor = "seed"
values = [1, 2, 3, 4, 5, 6]
[train]
[[train.vary]]
factor = "repeat"
count = 2
)";

// Records which runs started and when, and fails the runs whose seed is in `failing`. Runs
// execute on the sweep's worker threads, where Catch2 must not assert: what they find wrong goes
// into `problems`, which each test checks on its own thread.
struct Recorder {
    std::mutex mutex;
    std::vector<std::string> started, problems;
    std::vector<std::pair<double, double>> spans; // start, end
    std::set<int> failing;
    double sleep_s = 0.05;

    RunFunction function() {
        return [this](const nlohmann::json& config, int, const observation::Context& context) {
            double start = monotonic_seconds();
            if (!std::filesystem::is_directory(context.work_root) || context.store == nullptr) {
                std::lock_guard lock(mutex);
                problems.push_back("no work root or store for " + config.dump());
            }
            std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
            db::RunResult result;
            int seed = config.value("seed", 0);
            if (failing.contains(seed)) {
                result.status = db::kStatusFailed;
                result.message = "nextpnr: ERROR: seed " + std::to_string(seed) + " unlucky";
            }
            result.add_metric("seed_seen", seed);
            std::lock_guard lock(mutex);
            started.push_back(config.dump());
            spans.emplace_back(start, monotonic_seconds());
            return result;
        };
    }
};

std::filesystem::path fresh_dir(const std::string& name) {
    return detlab::test::fresh_dir("sweep-runner", name);
}

// The stored observation id of a planned run's slot (the first one recorded).
std::string observation_of(const db::Store& store, const PlannedRun& planned) {
    for (const auto& row : store.runs())
        if (row.config_json == planned.config.dump() && row.repeat == planned.repeat &&
            row.kind == planned.kind)
            return row.id;
    return "(not stored)";
}

} // namespace

TEST_CASE("a sweep records every run once and a second invocation resumes") {
    Recorder recorder;
    recorder.failing = {3};
    auto domains = fake_domains(recorder.function(), recorder.function());
    auto experiment = parse_experiment(kExperiment, "runner.toml", domains);
    REQUIRE(experiment.runs.size() == 8);
    RunOptions options;
    options.db_path = fresh_dir("resume") / "detlab.db";
    options.jobs = 2;

    auto first = run_sweep(experiment, domains, options);
    CHECK(first.done == 7);
    CHECK(first.failed == 1);
    CHECK(recorder.started.size() == 8);
    {
        db::Store store(options.db_path);
        CHECK(store.runs().size() == 8);
        auto params = store.params(observation_of(store, experiment.runs[1]));
        auto has = [&](const std::string& key, const std::string& value) {
            return std::find(params.begin(), params.end(), std::pair{key, value}) != params.end();
        };
        CHECK(has(db::param::kStudy, "seed"));
        CHECK(has(db::param::kFactor, "seed"));
        CHECK(has(db::param::kFactorValue, "2"));
        CHECK(has("seed", "2"));
        CHECK(has("placer", "heap"));
        auto failed = store.run(observation_of(store, experiment.runs[2]));
        REQUIRE(failed);
        CHECK(failed->status == "failed");
        CHECK(failed->message == "nextpnr: ERROR: seed 3 unlucky");
        CHECK(store.experiment_source("runner") == std::string(kExperiment));
        CHECK_FALSE(store.provenance(observation_of(store, experiment.runs[0])).empty());
        auto row = store.run(observation_of(store, experiment.runs[0]));
        CHECK(row->config_id ==
              db::configuration_id("toolchain", experiment.runs[0].config.dump()));
        CHECK(row->id != experiment.runs[0].id); // an observation id, not the slot
    }

    auto second = run_sweep(experiment, domains, options);
    CHECK(second.already_done == 7);
    CHECK(second.earlier_failed == 1);
    CHECK(second.done + second.failed == 0);
    CHECK(recorder.started.size() == 8);

    recorder.failing.clear();
    options.retry_failed = true;
    auto third = run_sweep(experiment, domains, options);
    CHECK(third.done == 1);
    CHECK(recorder.started.size() == 9);
    db::Store store(options.db_path);
    CHECK(store.runs(db::RunFilter{std::nullopt, std::nullopt, std::string("done"), std::nullopt})
              .size() == 8);
    CHECK(store.runs().size() == 9); // the failed attempt is kept beside its successful retry
    CHECK(store.check().ok);
    CHECK_FALSE(std::filesystem::exists(options.db_path.string() + ".work"));
    CHECK(recorder.problems.empty());
}

TEST_CASE("the first run of a setup group finishes before the rest of it start") {
    Recorder recorder;
    auto domains = fake_domains(recorder.function(), recorder.function());
    // The stand-in for synthesis: every config with the same device shares one setup step.
    domains[0].setup_group = [](const nlohmann::json& config) {
        return config["device"].get<std::string>();
    };
    auto experiment = parse_experiment(kExperiment, "runner.toml", domains);
    experiment.runs.resize(6); // the toolchain seed study only
    RunOptions options;
    options.db_path = fresh_dir("groups") / "detlab.db";
    options.jobs = 3;
    auto summary = run_sweep(experiment, domains, options);
    CHECK(summary.done == 6);
    REQUIRE(recorder.spans.size() == 6);
    auto leader = recorder.spans.front();
    for (std::size_t i = 1; i < recorder.spans.size(); ++i)
        CHECK(recorder.spans[i].first >= leader.second);
    // The followers still ran in parallel.
    bool overlap = false;
    for (std::size_t i = 1; i + 1 < recorder.spans.size(); ++i)
        overlap = overlap || recorder.spans[i + 1].first < recorder.spans[i].second;
    CHECK(overlap);
    CHECK(recorder.problems.empty());
}

TEST_CASE("cancellation stops starting runs and records nothing half-done") {
    Recorder recorder;
    recorder.sleep_s = 0.2;
    std::atomic<bool> cancel{false};
    bool cancelled_once = false;
    auto cancelling = [&](const nlohmann::json& config, int repeat,
                          const observation::Context& context) {
        auto result = recorder.function()(config, repeat, context);
        if (config.value("seed", 0) == 2 && !cancelled_once) {
            cancelled_once = true;
            cancel = true; // as if Ctrl-C arrived while this run was going
            result.status = db::kStatusFailed;
            result.message = "cancelled";
        }
        return result;
    };
    auto domains = fake_domains(cancelling, cancelling);
    auto experiment = parse_experiment(kExperiment, "runner.toml", domains);
    RunOptions options;
    options.db_path = fresh_dir("cancel") / "detlab.db";
    options.jobs = 1;
    options.cancel = &cancel;
    auto summary = run_sweep(experiment, domains, options);
    CHECK(summary.cancelled);
    CHECK(summary.done == 1);
    CHECK(summary.failed == 0);
    CHECK(summary.not_started == 7);
    db::Store store(options.db_path);
    CHECK(store.runs().size() == 1); // the cancelled run was not recorded as failed

    cancel = false;
    auto resumed = run_sweep(experiment, domains, options);
    CHECK(resumed.already_done == 1);
    CHECK(resumed.done == 7);
    CHECK(recorder.problems.empty());
}

TEST_CASE("followers start as soon as the leader has stored the shared step") {
    Recorder recorder;
    recorder.sleep_s = 0.3;
    auto leader_stores_early = [&](const nlohmann::json& config, int repeat,
                                   const observation::Context& context) {
        Bytes netlist{'n', 'e', 't'};
        context.store->cache_store("synth:" + config["device"].get<std::string>(),
                                   context.store->put_blob(netlist));
        return recorder.function()(config, repeat, context);
    };
    auto domains = fake_domains(leader_stores_early, recorder.function());
    domains[0].setup_group = [](const nlohmann::json& config) {
        return config["device"].get<std::string>();
    };
    domains[0].setup_stored = [](const db::Store& store, const std::string& group) {
        return store.cache_lookup("synth:" + group).has_value();
    };
    auto experiment = parse_experiment(kExperiment, "runner.toml", domains);
    experiment.runs.resize(3);
    RunOptions options;
    options.db_path = fresh_dir("early") / "detlab.db";
    options.jobs = 3;
    CHECK(run_sweep(experiment, domains, options).done == 3);
    REQUIRE(recorder.spans.size() == 3);
    std::sort(recorder.spans.begin(), recorder.spans.end());
    CHECK(recorder.spans[1].first < recorder.spans[0].second); // overlapped the leader
    CHECK(recorder.problems.empty());
}
