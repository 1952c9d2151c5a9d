// Hostile stores through the Store API: blobs whose size lies, zstd bombs, missing blobs,
// views and triggers, and other applications' files. Each costs its run (named) or is refused
// before anything changes; none costs more memory than detlab's stated per-blob limit.
#include "db/store.h"
#include "tests/db/helpers.h"
#include "tests/db/hostile.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>
#include <sys/resource.h>

using namespace detlab;
using test::fresh_dir;
using test::sample_run;
namespace fs = std::filesystem;

namespace {

long peak_rss_kib() {
    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

std::string file_bytes(const fs::path& path) {
    return read_file_text(path);
}

// Four runs, each with its own bitstream; returns their ids in order.
std::vector<std::string> four_runs(db::Store& store) {
    std::vector<std::string> ids;
    for (int seed = 1; seed <= 4; ++seed) {
        auto run = sample_run("{\"seed\":" + std::to_string(seed) + "}", 0,
                              "bitstream of seed " + std::to_string(seed));
        store.record_run(run);
        ids.push_back(run.id);
    }
    return ids;
}

} // namespace

TEST_CASE("a 1e15 size, a 3 GB size lie and a 2 GiB zstd bomb each cost only their run") {
    auto dir = fresh_dir("hostile-sizes");
    db::Store store(dir / "hostile.db");
    auto ids = four_runs(store);
    auto& db = store.database();
    test::state_size(db, ids[0], "bitstream.bin", 1'000'000'000'000'000);
    test::state_size(db, ids[1], "bitstream.bin", 3'000'000'000);
    test::plant_blob(db, ids[2], "bitstream.bin", test::kZeros2GiBSha256,
                     static_cast<std::int64_t>(test::k2GiB),
                     test::zstd_zero_bomb(test::k2GiB, true));
    long before = peak_rss_kib();

    auto damage_of = [&](const std::string& id) {
        try {
            (void)store.artifact_bytes(id, "bitstream.bin");
        } catch (const db::BlobCorrupt& error) {
            return std::string(error.what());
        }
        return std::string("read back without complaint");
    };
    CHECK_THAT(damage_of(ids[0]),
               Catch::StartsWith("run " + ids[0] + ": bitstream.bin is damaged") &&
                   Catch::Contains("1000000000000000 bytes exceeds detlab's limit"));
    CHECK_THAT(damage_of(ids[1]),
               Catch::StartsWith("run " + ids[1] + ": bitstream.bin is damaged") &&
                   Catch::Contains("3000000000 bytes exceeds detlab's limit"));
    CHECK_THAT(damage_of(ids[2]),
               Catch::StartsWith("run " + ids[2] + ": bitstream.bin is damaged") &&
                   Catch::Contains("2147483648 bytes exceeds detlab's limit"));
    CHECK(store.artifact_bytes(ids[3], "bitstream.bin").has_value()); // the rest reads back

    auto report = store.check();
    CHECK_FALSE(report.ok);
    CHECK(report.problems.size() == 3);
    // None of it was allocated: the refusals come before any buffer (limit 256 MiB).
    CHECK(peak_rss_kib() - before < 64 * 1024);
}

TEST_CASE("a stated size within the limit that its zstd frame contradicts is refused unread") {
    auto dir = fresh_dir("hostile-frame-size");
    db::Store store(dir / "hostile.db");
    auto ids = four_runs(store);
    test::state_size(store.database(), ids[0], "bitstream.bin", 200 << 20);
    CHECK_THROWS_WITH(
        store.artifact_bytes(ids[0], "bitstream.bin"),
        Catch::Contains("run " + ids[0]) &&
            Catch::Contains("its zstd frame says 19 bytes, the store says 209715200"));
}

TEST_CASE("a zstd frame without a size that decodes beyond its stated size stops at that size") {
    auto dir = fresh_dir("hostile-unsized-bomb");
    db::Store store(dir / "hostile.db");
    auto ids = four_runs(store);
    long before = peak_rss_kib();
    test::plant_blob(store.database(), ids[0], "bitstream.bin", test::kZeros2GiBSha256, 4096,
                     test::zstd_zero_bomb(test::k2GiB, false));
    CHECK_THROWS_WITH(store.artifact_bytes(ids[0], "bitstream.bin"),
                      Catch::Contains("run " + ids[0]) &&
                          Catch::Contains("decompresses to more than its stated size of 4096"));
    // The same bomb with a size that matches what it holds is decoded in full (and is then
    // refused for its size): the cap, not luck, stopped the first one.
    test::plant_blob(store.database(), ids[1], "bitstream.bin", std::string(64, 'a'), 1 << 20,
                     test::zstd_zero_bomb(1 << 20, false));
    CHECK_THROWS_WITH(store.artifact_bytes(ids[1], "bitstream.bin"),
                      Catch::Contains("content hashes to"));
    CHECK(peak_rss_kib() - before < 64 * 1024);
}

TEST_CASE("merging a store with a missing, a bombed and a lying blob names those runs and "
          "merges the rest") {
    auto dir = fresh_dir("hostile-merge");
    std::vector<std::string> ids;
    {
        db::Store shard(dir / "shard.db");
        ids = four_runs(shard);
        auto& db = shard.database();
        db.exec("PRAGMA foreign_keys = OFF");
        db.exec("DELETE FROM blobs WHERE sha256 = (SELECT sha256 FROM artifacts WHERE run_id = '" +
                ids[0] + "')"); // ids are hex digits: safe in the statement
        test::plant_blob(db, ids[1], "bitstream.bin", test::kZeros2GiBSha256,
                         static_cast<std::int64_t>(test::k2GiB),
                         test::zstd_zero_bomb(test::k2GiB, true));
        test::state_size(db, ids[2], "bitstream.bin", 3'000'000'000);
    }
    db::Store target(dir / "target.db");
    auto report = target.merge_from(dir / "shard.db");
    CHECK(report.runs_added == 1);
    REQUIRE(report.damaged.size() == 3);
    std::string all = report.damaged[0] + report.damaged[1] + report.damaged[2];
    for (int i = 0; i < 3; ++i)
        CHECK_THAT(all, Catch::Contains("run " + ids[static_cast<std::size_t>(i)]));
    CHECK_THAT(all, Catch::Contains("is missing") && Catch::Contains("exceeds detlab's limit"));
    CHECK(target.run(ids[3]).has_value());
    CHECK(target.check().ok);
}

TEST_CASE("a store whose runs table is a recursive view, or that holds a trigger, is refused "
          "unchanged") {
    auto dir = fresh_dir("hostile-schema");
    auto make = [&](const std::string& name, const std::string& sql) {
        auto path = dir / name;
        {
            db::Store store(path);
            four_runs(store);
        }
        {
            SQLite::Database raw(path, SQLite::OPEN_READWRITE);
            raw.exec(sql);
        }
        return path;
    };
    auto view = make("view.db", "PRAGMA foreign_keys = OFF; DROP TABLE runs; CREATE VIEW runs AS "
                                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                                "SELECT i AS id FROM n");
    auto trigger = make("trigger.db", "CREATE TRIGGER t AFTER INSERT ON params BEGIN "
                                      "DELETE FROM blobs; END");
    for (const auto& [path, what] :
         {std::pair{view, std::string("view runs stands where")},
          std::pair{trigger, std::string("trigger t runs its own SQL")}}) {
        auto before = file_bytes(path);
        CHECK_THROWS_AS(db::Store(path), InputError);
        CHECK_THROWS_WITH(db::Store(path), Catch::Contains(path.string()) && Catch::Contains(what));
        CHECK_THROWS_WITH(db::Store::check_mergeable(path), Catch::Contains(what));
        db::Store target(dir / ("target-" + path.filename().string()));
        CHECK_THROWS_AS(target.merge_from(path), InputError);
        CHECK(target.runs({}).empty());
        CHECK(file_bytes(path) == before);
    }
}

TEST_CASE("a foreign SQLite file with a user_version, or holding only views, is never changed") {
    auto dir = fresh_dir("hostile-foreign");
    auto versioned = dir / "versioned.db", views = dir / "views.db";
    {
        SQLite::Database raw(versioned, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE TABLE notes (text TEXT); PRAGMA user_version = 2");
    }
    {
        SQLite::Database raw(views, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        raw.exec("CREATE VIEW answer AS SELECT 42 AS value");
    }
    for (const auto& path : {versioned, views}) {
        auto before = file_bytes(path);
        CHECK_THROWS_AS(db::Store(path), InputError);
        CHECK(file_bytes(path) == before);
        CHECK_FALSE(fs::exists(path.string() + "-wal"));
        SQLite::Database raw(path, SQLite::OPEN_READONLY);
        CHECK(raw.execAndGet("PRAGMA journal_mode").getString() != "wal");
        CHECK(raw.execAndGet("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                             "AND name = 'runs'")
                  .getInt() == 0);
    }
    CHECK_THROWS_WITH(db::Store(views), Catch::Contains("view answer"));
    CHECK_THROWS_WITH(db::Store(versioned), Catch::Contains("user_version 2"));
}
