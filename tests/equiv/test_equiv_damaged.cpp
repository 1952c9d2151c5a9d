// `detlab equiv RUN...` on a store where one run's bitstream blob is damaged: that run is named
// and not checked, the others are checked and recorded, and the exit status says not all were.
#include "db/store.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

TEST_CASE("equiv checks the other runs when one run's bitstream blob is damaged") {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "equiv-damaged";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::path db_path = dir / "runs.db";
    std::vector<std::string> ids;
    std::string damaged_sha;
    {
        db::Store store(db_path);
        observation::Context context{&store, dir / "work", "test", nullptr};
        for (int seed : {1, 2}) {
            auto run = toolchain::run_build({{"seed", seed}}, 0, context);
            INFO(run.message);
            REQUIRE(run.status == db::kStatusDone);
            store.record_run(run);
            ids.push_back(run.id);
        }
        for (const auto& artifact : store.artifacts(ids[0]))
            if (artifact.first == "bitstream.asc")
                damaged_sha = artifact.second;
        REQUIRE_FALSE(damaged_sha.empty());
        for (const auto& artifact : store.artifacts(ids[1]))
            REQUIRE(artifact.second != damaged_sha); // the seeds give different bitstreams
    }
    {
        SQLite::Database raw(db_path, SQLite::OPEN_READWRITE);
        SQLite::Statement flip(raw, "UPDATE blobs SET data = substr(data, 1, length(data) - 1) "
                                    "|| X'00' WHERE sha256 = ?");
        flip.bind(1, damaged_sha);
        REQUIRE(flip.exec() == 1);
    }
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "equiv", ids[0], ids[1],
                 "--vectors",   "3",     "--db", db_path.string()};
    spec.timeout = std::chrono::seconds(600);
    auto result = process::run(spec);
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1); // a run asked for was not checked
    CHECK_THAT(result.out, Catch::Contains(ids[0] + ": not checked: run " + ids[0] +
                                           ": bitstream.asc is damaged (blob " + damaged_sha));
    CHECK_THAT(result.out, Catch::Contains(ids[1] + ": no difference in 3 vectors"));
    CHECK_THAT(result.err, Catch::Contains("DAMAGED DATA: 1 run(s) not checked"));
    CHECK_THAT(result.err, !Catch::Contains("EQUIVALENCE CHECK FAILED"));

    db::Store store(db_path);
    bool checked = false, damaged_checked = false;
    for (const auto& metric : store.metrics(ids[1]))
        checked = checked || metric.key == db::metric::kEquivVectors;
    for (const auto& metric : store.metrics(ids[0]))
        damaged_checked = damaged_checked || metric.key == db::metric::kEquivVectors;
    CHECK(checked);
    CHECK_FALSE(damaged_checked);
    CHECK_FALSE(store.check().ok);
    fs::remove_all(dir / "work");
}
