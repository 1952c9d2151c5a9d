#include "db/store.h"
#include "tests/db/helpers.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

using namespace detlab;
using test::fresh_dir;
using test::sample_run;
namespace fs = std::filesystem;

namespace {
const std::string kConfig = R"({"seed":1})";

// Incompressible bytes, so zstd stores them raw and one flipped byte changes the content.
std::string noise(std::size_t size, std::uint32_t state) {
    std::string text(size, '\0');
    for (auto& c : text) {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return text;
}
} // namespace

TEST_CASE("an empty file gets the whole schema in WAL mode") {
    auto dir = fresh_dir("schema");
    write_file(dir / "empty.db", std::string_view{}); // an existing empty file counts as new
    db::Store store(dir / "empty.db");
    CHECK(store.schema_version() == db::current_schema_version());
    CHECK(db::current_schema_version() == 2);
    auto info = store.info();
    for (const char* table :
         {"experiments", "runs", "params", "metrics", "artifacts", "provenance", "blobs", "cache"})
        CHECK(info.row_counts.at(table) == 0);
    CHECK(store.database().execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(store.database().execAndGet("PRAGMA foreign_keys").getInt() == 1);
}

TEST_CASE("a version-1 store is migrated and keeps its runs") {
    auto dir = fresh_dir("migrate");
    auto path = dir / "old.db";
    {
        SQLite::Database old(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        old.exec(db::schema_steps().at(0));
        old.exec("PRAGMA user_version = 1");
        old.exec("INSERT INTO runs VALUES ('r1', 'e', 'train', '{}', 0, 'done', '', 1, 2, 'h', 3)");
    }
    db::Store store(path);
    CHECK(store.schema_version() == 2);
    REQUIRE(store.run("r1"));
    CHECK(store.run("r1")->kind == "train");
    auto sha = store.put_blob(std::span<const std::uint8_t>());
    store.cache_store("netlist-key", sha); // the table step 2 added
    CHECK(store.cache_lookup("netlist-key") == sha);
    CHECK_FALSE(store.cache_lookup("other"));
}

TEST_CASE("a store from a newer detlab is refused") {
    auto dir = fresh_dir("newer");
    { db::Store store(dir / "new.db"); }
    {
        SQLite::Database raw(dir / "new.db", SQLite::OPEN_READWRITE);
        raw.exec("PRAGMA user_version = 99");
    }
    CHECK_THROWS_AS(db::Store(dir / "new.db"), InputError);
    CHECK_THROWS_WITH(db::Store(dir / "new.db"), Catch::Contains("schema version 99 is newer"));
}

TEST_CASE("blobs round-trip and two runs share one blob") {
    auto dir = fresh_dir("blobs");
    db::Store store(dir / "blobs.db");
    std::string text(10000, 'x');
    store.record_run(sample_run(kConfig, 0, text));
    store.record_run(sample_run(kConfig, 1, text));
    auto id0 = db::run_id("toolchain", kConfig, 0);
    auto bytes = store.artifact_bytes(id0, "bitstream.bin");
    REQUIRE(bytes);
    CHECK(std::string(bytes->begin(), bytes->end()) == text);
    CHECK(store.artifacts(id0).at("bitstream.bin") == sha256_hex(std::string_view(text)));
    auto info = store.info();
    CHECK(info.blob_count == 1);
    CHECK(info.row_counts.at("artifacts") == 2);
    CHECK(info.artifact_raw_bytes == 20000);
    CHECK(info.dedup_ratio() == Approx(2.0));
    CHECK(info.blob_stored_bytes < 1000); // compressed
    CHECK(store.runs().size() == 2);
    CHECK(store.params(id0) == std::vector<std::pair<std::string, std::string>>{{"seed", "1"}});
    CHECK(store.metrics(id0).size() == 3);
    CHECK(store.provenance(id0).at("tool.yosys") == "Yosys 0.23");
    CHECK(store.run_done(id0));
    CHECK_THROWS_AS(store.get_blob(std::string(64, '0')), std::out_of_range);
}

TEST_CASE("recording a run again replaces the earlier attempt") {
    auto dir = fresh_dir("replace");
    db::Store store(dir / "replace.db");
    auto run = sample_run(kConfig, 0, "first");
    run.status = db::kStatusFailed;
    run.message = "nextpnr: ERROR: no placement";
    run.add_metric("only_in_first_attempt", 1);
    run.add_param("failed_stage", "nextpnr");
    store.record_run(run);
    CHECK_FALSE(store.run_done(run.id));
    run = sample_run(kConfig, 0, "second");
    store.record_run(run);
    CHECK(store.run_done(run.id));
    CHECK(store.runs().size() == 1);
    auto bytes = store.artifact_bytes(run.id, "bitstream.bin");
    CHECK(std::string(bytes->begin(), bytes->end()) == "second");
    CHECK(store.metrics(run.id).size() == 3); // the first attempt's rows are gone
    CHECK(store.params(run.id).size() == 1);
}

TEST_CASE("a corrupted blob byte is detected on read and by check") {
    auto dir = fresh_dir("corrupt");
    db::Store store(dir / "corrupt.db");
    auto text = noise(4096, 7);
    store.record_run(sample_run(kConfig, 0, text));
    auto sha = sha256_hex(std::string_view(text));
    CHECK(store.check().ok);
    {
        SQLite::Statement read(store.database(), "SELECT data FROM blobs WHERE sha256 = ?");
        read.bind(1, sha);
        REQUIRE(read.executeStep());
        auto data = read.getColumn(0);
        std::string bytes(static_cast<const char*>(data.getBlob()),
                          static_cast<std::size_t>(data.getBytes()));
        bytes[bytes.size() / 2] ^= 0x01;
        SQLite::Statement update(store.database(), "UPDATE blobs SET data = ? WHERE sha256 = ?");
        update.bind(1, bytes.data(), static_cast<int>(bytes.size()));
        update.bind(2, sha);
        REQUIRE(update.exec() == 1);
    }
    CHECK_THROWS_AS(store.get_blob(sha), db::BlobCorrupt);
    CHECK_THROWS_WITH(store.get_blob(sha), Catch::Contains(sha));
    auto report = store.check();
    CHECK_FALSE(report.ok);
    CHECK(report.integrity == "ok");
    CHECK(report.blobs_checked == 1);
    REQUIRE(report.problems.size() == 1);
    CHECK_THAT(report.problems[0], Catch::Contains(sha));
}

TEST_CASE("unusable paths are refused before anything is written") {
    auto dir = fresh_dir("paths");
    CHECK_THROWS_WITH(db::Store(dir / "missing" / "x.db"), Catch::Contains("does not exist"));
    CHECK_FALSE(fs::exists(dir / "missing"));

    write_file(dir / "notes.txt", std::string_view("not a database\n"));
    CHECK_THROWS_WITH(db::Store(dir / "notes.txt"), Catch::Contains("not a SQLite database"));
    CHECK(read_file_text(dir / "notes.txt") == "not a database\n");

    { db::Store store(dir / "ro.db"); }
    auto before = read_file_bytes(dir / "ro.db");
    fs::permissions(dir / "ro.db", fs::perms::owner_read | fs::perms::group_read);
    CHECK_THROWS_AS(db::Store(dir / "ro.db"), InputError);
    CHECK_THROWS_WITH(db::Store(dir / "ro.db"), Catch::Contains("read-only"));
    CHECK(read_file_bytes(dir / "ro.db") == before);

    {
        SQLite::Database other(dir / "other.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        other.exec("CREATE TABLE people (name TEXT)");
    }
    CHECK_THROWS_WITH(db::Store(dir / "other.db"), Catch::Contains("not a detlab store"));
}

TEST_CASE("merging a shard adds new runs, skips equal ones and reports conflicts") {
    auto dir = fresh_dir("merge");
    db::Store target(dir / "target.db");
    db::Store shard(dir / "shard.db");
    auto same = sample_run(kConfig, 0, "same");
    auto clash_here = sample_run(kConfig, 1, "here");
    auto clash_there = clash_here;
    clash_there.status = db::kStatusFailed;
    auto added = sample_run(kConfig, 2, "new blob");
    target.record_run(same);
    target.record_run(clash_here);
    shard.record_run(same);
    shard.record_run(clash_there);
    shard.record_run(added);
    shard.put_experiment("unit", "[experiment]\nname = 'unit'\n");

    auto report = target.merge_from(dir / "shard.db");
    CHECK(report.runs_added == 1);
    CHECK(report.runs_skipped == 1);
    CHECK(report.blobs_added == 1);
    REQUIRE(report.conflicts.size() == 1);
    CHECK_THAT(report.conflicts[0], Catch::Contains(clash_here.id));
    CHECK(target.run(clash_here.id)->status == db::kStatusDone); // left as it was
    auto bytes = target.artifact_bytes(added.id, "bitstream.bin");
    REQUIRE(bytes);
    CHECK(std::string(bytes->begin(), bytes->end()) == "new blob");
    CHECK(target.metrics(added.id).size() == 3);
    CHECK(target.provenance(added.id).size() == 1);
    CHECK(target.experiment_source("unit"));
    CHECK(target.check().ok);

    auto again = target.merge_from(dir / "shard.db"); // idempotent
    CHECK(again.runs_added == 0);
    CHECK(again.runs_skipped == 2);
    CHECK_THROWS_WITH(target.merge_from(dir / "target.db"), Catch::Contains("into itself"));

    // A damaged blob in a shard is refused and nothing of that merge is kept.
    auto damaged = sample_run(kConfig, 3, "will be damaged");
    shard.record_run(damaged);
    shard.database().exec("UPDATE blobs SET data = X'00' WHERE sha256 = '" +
                          sha256_hex(std::string_view("will be damaged")) + "'");
    CHECK_THROWS_AS(target.merge_from(dir / "shard.db"), db::BlobCorrupt);
    CHECK_FALSE(target.run(damaged.id));
    CHECK(target.runs().size() == 3);
    CHECK_THROWS_AS(target.merge_from(dir / "nothing.db"), InputError);
}

TEST_CASE("a merged run with the same configuration but another result is a conflict") {
    auto dir = fresh_dir("merge-results");
    db::Store target(dir / "target.db");
    db::Store other(dir / "other.db");
    // Same id, config and status; a nondeterministic tool gave another bitstream there.
    auto here = sample_run(kConfig, 0, "bits here");
    auto there = sample_run(kConfig, 0, "bits there");
    // Logs differ between identical builds (times, paths): not a different result.
    auto logged_here = sample_run(kConfig, 1, "same bits");
    auto logged_there = logged_here;
    logged_here.add_artifact("nextpnr.log", std::string_view("Info: 0.51 s"));
    logged_there.add_artifact("nextpnr.log", std::string_view("Info: 0.73 s"));
    target.record_run(here);
    target.record_run(logged_here);
    other.record_run(there);
    other.record_run(logged_there);

    auto report = target.merge_from(dir / "other.db");
    CHECK(report.runs_added == 0);
    CHECK(report.runs_skipped == 1);
    REQUIRE(report.conflicts.size() == 1);
    CHECK(report.conflicts[0] ==
          "run " + here.id +
              ": same configuration, different bitstream.bin; kept this store's run");
    auto kept = target.artifact_bytes(here.id, "bitstream.bin");
    REQUIRE(kept);
    CHECK(std::string(kept->begin(), kept->end()) == "bits here");
}
