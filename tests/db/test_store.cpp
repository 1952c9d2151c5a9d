#include "db/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const char* name) {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "db" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

db::RunResult sample_run(int repeat, std::string_view artifact_text) {
    db::RunResult run;
    run.kind = "toolchain";
    run.config_json = R"({"seed":1})";
    run.repeat = repeat;
    run.id = db::run_id(run.kind, run.config_json, repeat);
    run.experiment = "unit";
    run.started_at = 1000 + repeat;
    run.wall_seconds = 1.5;
    run.host = "testhost";
    run.add_param("seed", "1");
    run.add_metric("fmax_mhz", 100.0 + repeat);
    run.add_metric("loss", 2.0, 1);
    run.add_metric("loss", 1.0, 2);
    run.add_artifact("bitstream.bin", artifact_text);
    run.provenance["tool.yosys"] = "Yosys 0.23";
    return run;
}
} // namespace

TEST_CASE("a new file gets the whole schema") {
    auto dir = fresh_dir("schema");
    db::Store store(dir / "new.db");
    CHECK(store.schema_version() == db::current_schema_version());
    CHECK(db::current_schema_version() == 2);
    auto info = store.info();
    CHECK(info.row_counts.at("runs") == 0);
    CHECK(info.row_counts.at("cache") == 0);
    CHECK(store.database().execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("blobs round-trip and are stored once for two runs") {
    auto dir = fresh_dir("blobs");
    db::Store store(dir / "blobs.db");
    std::string text(10000, 'x');
    store.record_run(sample_run(0, text));
    store.record_run(sample_run(1, text));
    auto id0 = db::run_id("toolchain", R"({"seed":1})", 0);
    auto bytes = store.artifact_bytes(id0, "bitstream.bin");
    REQUIRE(bytes);
    CHECK(std::string(bytes->begin(), bytes->end()) == text);
    auto info = store.info();
    CHECK(info.blob_count == 1);
    CHECK(info.row_counts.at("artifacts") == 2);
    CHECK(info.dedup_ratio() == Approx(2.0));
    CHECK(info.blob_stored_bytes < 1000);
    CHECK(store.runs().size() == 2);
    CHECK(store.params(id0) == std::vector<std::pair<std::string, std::string>>{{"seed", "1"}});
    CHECK(store.metrics(id0).size() == 3);
    CHECK(store.provenance(id0).at("tool.yosys") == "Yosys 0.23");
    CHECK(store.run_done(id0));
}
