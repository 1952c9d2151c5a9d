// The shared names agree: every kind the store lists is read by the analysis, and the CLI's
// `runs --kind` accepts each and finds its runs.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <catch2/catch.hpp>
#include <set>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

// One finished run of every kind the store knows, as its writer stores it.
fs::path store_with_every_kind(const std::string& name) {
    auto dir = fs::path(DETLAB_TEST_TMP) / "analysis" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    db::Store store(dir / "detlab.db");
    int repeat = 0;
    for (const auto& kind : db::run_kinds()) {
        db::RunResult run;
        run.kind = kind;
        run.config_json = R"({"seed":1})";
        run.id = db::new_observation_id();
        run.experiment = "names";
        run.repeat = repeat++;
        run.host = "testhost";
        run.add_param("seed", "1");
        if (kind == db::kKindToolchain) {
            run.add_metric(db::metric::kFmaxMhz, 100);
            run.add_artifact(db::artifact::kBitstream, std::string_view("bin"));
            run.add_artifact(db::artifact::kAsc, std::string_view("asc"));
            run.add_artifact(db::artifact::kNetlist, std::string_view("{}"));
        } else if (kind == db::kKindTrain) {
            run.add_metric(db::metric::kFinalTestAccuracy, 0.9);
            run.add_metric(db::metric::kFinalTestLoss, 0.3);
        } else {
            run.add_metric(db::metric::kModels, 2);
            run.add_metric(db::metric::kBitstreams, 3);
            run.add_metric(db::metric::kSamples, 20);
            run.add_metric(db::metric::kPredictionMismatches, 0);
            run.add_metric(db::metric::kLogitMismatches, 0);
            run.add_metric(db::metric::kIdenticalAcrossBitstreams, 1);
        }
        store.record_run(run);
    }
    return dir;
}

} // namespace

TEST_CASE("every kind the store records is one the analysis reads") {
    auto dir = store_with_every_kind("names");
    db::Store store(dir / "detlab.db");
    std::set<std::string> read;
    for (const auto& group : analysis::group_runs(analysis::load_runs(store, std::nullopt)))
        read.insert(group.kind);
    auto models = analysis::model_on_bitstream_runs(store, std::nullopt);
    REQUIRE(models.size() == 1);
    CHECK(models[0].bitstreams == 3);
    read.insert(db::kKindModelOnBitstream);
    CHECK(read == std::set<std::string>(db::run_kinds().begin(), db::run_kinds().end()));
    for (const auto& row : store.runs())
        CHECK(store.runs({std::nullopt, row.kind, std::nullopt, std::nullopt}).size() == 1);
}

TEST_CASE("the run result's accessors find artifacts and last metrics by their shared names") {
    db::RunResult run;
    run.add_artifact(db::artifact::kWeights, std::string_view("w"));
    run.add_metric(db::metric::kTestAccuracy, 0.5, 1);
    run.add_metric(db::metric::kTestAccuracy, 0.75, 2);
    REQUIRE(run.find_artifact("weights.bin") != nullptr);
    CHECK(run.find_artifact(db::artifact::kWeights)->bytes == Bytes{'w'});
    CHECK(run.find_artifact(db::artifact::kTestLogits) == nullptr);
    CHECK(run.metric("test_accuracy") == 0.75);
    CHECK_FALSE(run.metric(db::metric::kTestLoss));
}

TEST_CASE("detlab runs --kind accepts every kind the store records and lists its runs", "[cli]") {
    auto dir = store_with_every_kind("names-cli");
    db::Store store(dir / "detlab.db");
    for (const auto& kind : db::run_kinds()) {
        INFO(kind);
        process::Spec spec;
        spec.argv = {DETLAB_BINARY, "runs", "--kind", kind, "--db", (dir / "detlab.db").string()};
        auto result = process::run(spec);
        INFO(result.err);
        CHECK(result.exit_code == 0);
        auto rows = store.runs({std::nullopt, kind, std::nullopt, std::nullopt});
        REQUIRE(rows.size() == 1);
        CHECK_THAT(result.out, Catch::Contains(rows[0].id));
        for (const auto& other : store.runs())
            if (other.kind != kind)
                CHECK(result.out.find(other.id) == std::string::npos);
    }
}
