// `detlab equiv --prove SECONDS RUN` through the real executable on a real 2x2 HX1K build: the
// exit status, the lines printed, and what the store holds afterwards (equiv_proof.json and the
// metric equiv_proof_wall_s beside the run, the simulation's check untouched); a second proof of
// the same run is refused with nothing written. A sweep with `equiv_prove` proves its build after
// the simulation's check, a bad value is exit 2 naming file, line and key, and `detlab compare`
// gives the study's verdict with the proof.
#include "db/store.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"
#include "harness/util/util.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

process::Result detlab_run(std::vector<std::string> args) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.timeout = std::chrono::seconds(900); // a hang net, not a measurement
    return process::run(spec);
}

} // namespace

TEST_CASE("detlab equiv --prove proves a stored 2x2 HX1K build and records the proof") {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "equiv-proof-cli";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::path db_path = dir / "runs.db";
    std::string id;
    {
        db::Store store(db_path);
        observation::Context context{&store, dir / "work", "test", nullptr};
        auto run = toolchain::run_build({{"seed", 1}}, 0, context);
        INFO(run.message);
        REQUIRE(run.status == db::kStatusDone);
        store.record_run(run);
        id = run.id;
    }

    auto result = detlab_run({"equiv", "--prove", "600", id, "--db", db_path.string()});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains(id + ": proved\n"));
    CHECK_THAT(result.out, Catch::Contains("  proof: proved; "));
    CHECK_THAT(result.out, Catch::Contains(" block RAMs matched, "));
    CHECK_THAT(result.err, !Catch::Contains("EQUIVALENCE CHECK FAILED"));

    std::size_t artifacts_before = 0, metrics_before = 0;
    {
        db::Store store(db_path);
        auto bytes = store.artifact_bytes(id, equiv::kProofArtifact);
        REQUIRE(bytes);
        auto proof = nlohmann::json::parse(bytes->begin(), bytes->end());
        CHECK(proof.at("result") == "proved");
        CHECK(proof.at("method") == "proof");
        CHECK(proof.at("proof") == "proved");
        CHECK(proof.at("time_limit_s") == 600.0);
        CHECK(proof.at("flip_flops").get<int>() > 0);
        CHECK(proof.at("compare_points").get<int>() > proof.at("flip_flops").get<int>());
        CHECK(proof.at("wall_s").get<double>() > 0);
        CHECK_FALSE(proof.contains("reason"));
        // The printed counts are the stored ones.
        CHECK_THAT(result.out,
                   Catch::Contains(
                       "proof: proved; " + std::to_string(proof.at("flip_flops").get<int>()) +
                       " flip-flops, " + std::to_string(proof.at("rams").get<int>()) +
                       " block RAMs matched, " +
                       std::to_string(proof.at("compare_points").get<int>()) + " compare points"));
        int wall_metrics = 0;
        for (const auto& metric : store.metrics(id))
            if (metric.key == equiv::kProofWallMetric) {
                ++wall_metrics;
                CHECK(metric.value == Approx(proof.at("wall_s").get<double>()));
            }
        CHECK(wall_metrics == 1);
        // A proof never stands in for the simulation: the run holds no simulated check after it.
        CHECK_FALSE(equiv::stored_check(store, id));
        artifacts_before = store.artifacts(id).size();
        metrics_before = store.metrics(id).size();
    }

    { // a second proof of the run is refused, exit 2, nothing written
        auto again = detlab_run({"equiv", "--prove", "600", id, "--db", db_path.string()});
        INFO(again.out << again.err);
        CHECK(again.exit_code == 2);
        CHECK_THAT(again.err, Catch::Contains("already holds a proof (equiv_proof.json)"));
        db::Store reread(db_path);
        CHECK(reread.artifacts(id).size() == artifacts_before);
        CHECK(reread.metrics(id).size() == metrics_before);
    }
    { // an unknown run is named, exit 2
        auto unknown =
            detlab_run({"equiv", "--prove", "600", "no-such-run", "--db", db_path.string()});
        CHECK(unknown.exit_code == 2);
        CHECK_THAT(unknown.err, Catch::Contains("no run \"no-such-run\""));
    }
    fs::remove_all(dir / "work");
}

TEST_CASE("a sweep with equiv_prove proves its build, and detlab compare shows the proof") {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "equiv-proof-sweep";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::path db_path = dir / "runs.db";
    { // a bad value: exit 2 naming the file, line and key, nothing written
        write_file(dir / "bad.toml", "[experiment]\nname = \"bad\"\nequiv_prove = -5\n"
                                     "[toolchain]\nseed = 2\n");
        auto bad = detlab_run({"run", (dir / "bad.toml").string(), "--db", db_path.string()});
        CHECK(bad.exit_code == 2);
        CHECK_THAT(bad.err, Catch::Contains("bad.toml:3: experiment.equiv_prove: value -5 is out "
                                            "of range [0, 86400]"));
        CHECK_FALSE(fs::exists(db_path));
    }
    write_file(dir / "proving.toml", "[experiment]\nname = \"proving\"\nequiv_vectors = 16\n"
                                     "equiv_prove = 600\n[toolchain]\nseed = 2\n");
    auto sweep = detlab_run({"run", (dir / "proving.toml").string(), "--db", db_path.string()});
    INFO(sweep.out << sweep.err);
    REQUIRE(sweep.exit_code == 0);
    {
        db::Store store(db_path);
        db::RunFilter filter;
        filter.experiment = "proving";
        auto rows = store.runs(filter);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].status == db::kStatusDone);
        auto bytes = store.artifact_bytes(rows[0].id, equiv::kProofArtifact);
        REQUIRE(bytes);
        auto proof = nlohmann::json::parse(bytes->begin(), bytes->end());
        CHECK(proof.at("proof") == "proved");
        CHECK(proof.at("result") == "proved");
        CHECK(proof.at("time_limit_s") == 600.0);
        // The simulation ran first and is kept beside the proof.
        CHECK_THAT(proof.at("simulation").get<std::string>(),
                   Catch::StartsWith("no difference in 16 vectors"));
        auto simulated = equiv::stored_check(store, rows[0].id);
        REQUIRE(simulated);
        CHECK(simulated->verdict == equiv::Verdict::no_difference);
    }
    auto compare = detlab_run({"compare", "--db", db_path.string()});
    INFO(compare.out << compare.err);
    CHECK(compare.exit_code == 0);
    CHECK_THAT(compare.out, Catch::Contains("1/1 proved"));
    fs::remove_all(dir / "runs.db.work");
}
