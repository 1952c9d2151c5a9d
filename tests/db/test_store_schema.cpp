// A store's schema over its life: created whole, migrated from every older version with
// everything kept, refused when newer or someone else's, and a truncated file named as damaged.
// (Split from test_store.cpp by job; the same executable.)
#include "db/store.h"
#include "tests/db/helpers.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

using namespace detlab;
using test::fresh_dir;
using test::noise;
using test::sample_run;
namespace fs = std::filesystem;

namespace {
const std::string kConfig = R"({"seed":1})";
} // namespace

TEST_CASE("an empty file gets the whole schema in WAL mode") {
    auto dir = fresh_dir("schema");
    write_file(dir / "empty.db", std::string_view{}); // an existing empty file counts as new
    db::Store store(dir / "empty.db");
    CHECK(store.schema_version() == db::current_schema_version());
    CHECK(db::current_schema_version() == 4);
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
    CHECK(store.schema_version() == 4);
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

TEST_CASE("a store with a negative user_version is refused and left as it was") {
    // Found by fuzz_store: a negative version indexed the migration steps before the array.
    auto dir = fresh_dir("negative");
    { db::Store store(dir / "neg.db"); }
    {
        SQLite::Database raw(dir / "neg.db", SQLite::OPEN_READWRITE);
        raw.exec("PRAGMA user_version = -32");
    }
    CHECK_THROWS_AS(db::Store(dir / "neg.db"), InputError);
    CHECK_THROWS_WITH(db::Store(dir / "neg.db"), Catch::Contains("user_version -32"));
    SQLite::Database raw(dir / "neg.db", SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("PRAGMA user_version").getInt() == -32);
}

TEST_CASE("a store of schema version 2 migrates with every run, artifact and blob kept") {
    auto dir = fresh_dir("migrate-v2");
    auto path = dir / "old.db";
    auto steps = db::schema_steps();
    REQUIRE(steps.size() >= 3);
    std::vector<std::string> shas;
    {
        // The database exactly as the detlab before observation ids wrote it: steps 1 and 2,
        // runs keyed by run_id(kind, config, repeat), no config_id column.
        SQLite::Database old(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        old.exec(steps[0]);
        old.exec(steps[1]);
        old.exec("PRAGMA user_version = 2");
        for (int repeat = 0; repeat < 3; ++repeat) {
            auto id = db::run_id("toolchain", kConfig, repeat);
            SQLite::Statement run(old, "INSERT INTO runs (id, experiment, kind, config, repeat, "
                                       "status, message, started_at, wall_seconds, host, "
                                       "recorded_at) VALUES (?, 'quick', 'toolchain', ?, ?, "
                                       "'done', '', 1, 2, 'oldhost', 3)");
            run.bind(1, id);
            run.bind(2, kConfig);
            run.bind(3, repeat);
            run.exec();
            std::string text = "bitstream " + std::to_string(repeat);
            shas.push_back(sha256_hex(std::string_view(text)));
            SQLite::Statement artifact(old, "INSERT INTO artifacts (run_id, name, sha256) "
                                            "VALUES (?, 'bitstream.bin', ?)");
            artifact.bind(1, id);
            artifact.bind(2, shas.back());
            artifact.exec();
        }
        // The blob rows, zstd-compressed as every detlab version stores them, from a donor.
        {
            db::Store donor(dir / "donor.db");
            for (int repeat = 0; repeat < 3; ++repeat) {
                std::string text = "bitstream " + std::to_string(repeat);
                donor.put_blob(Bytes(text.begin(), text.end()));
            }
        }
        old.exec("ATTACH DATABASE '" + (dir / "donor.db").string() + "' AS donor");
        old.exec("INSERT INTO blobs SELECT * FROM donor.blobs");
        old.exec("DETACH DATABASE donor");
    }
    db::Store store(path);
    CHECK(store.schema_version() == db::current_schema_version());
    auto runs = store.runs();
    REQUIRE(runs.size() == 3);
    auto info = store.info();
    CHECK(info.row_counts.at("artifacts") == 3);
    CHECK(info.blob_count == 3);
    for (int repeat = 0; repeat < 3; ++repeat) {
        auto id = db::run_id("toolchain", kConfig, repeat);
        auto row = store.run(id);
        REQUIRE(row);
        CHECK(row->host == "oldhost");
        // Equal configurations share one legacy identity, never a new-style one.
        CHECK(row->config_id.rfind("legacy-", 0) == 0);
        CHECK(row->config_id == runs.front().config_id);
        CHECK(store.artifacts(id).at("bitstream.bin") == shas[static_cast<std::size_t>(repeat)]);
        auto bytes = store.artifact_bytes(id, "bitstream.bin");
        REQUIRE(bytes);
        CHECK(std::string(bytes->begin(), bytes->end()) == "bitstream " + std::to_string(repeat));
    }
    CHECK(store.check().ok);
}

TEST_CASE("another application's SQLite file is refused without a byte changed") {
    auto dir = fresh_dir("foreign-untouched");
    auto path = dir / "theirs.db";
    {
        SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        other.exec("CREATE TABLE people (name TEXT)");
        other.exec("INSERT INTO people VALUES ('ada')");
    }
    auto before = sha256_hex(read_file_bytes(path));
    CHECK_THROWS_WITH(db::Store(path), Catch::Contains("not a detlab store"));
    CHECK(sha256_hex(read_file_bytes(path)) == before);
    CHECK_FALSE(fs::exists(dir / "theirs.db-wal"));
    SQLite::Database reread(path, SQLite::OPEN_READONLY);
    CHECK(reread.execAndGet("PRAGMA journal_mode").getString() == "delete");
}

TEST_CASE("a truncated store is reported as damaged and not as a wrong header") {
    auto dir = fresh_dir("truncated");
    auto path = dir / "store.db";
    {
        db::Store store(path);
        for (int repeat = 0; repeat < 20; ++repeat)
            store.record_run(
                sample_run(kConfig, repeat, noise(8192, static_cast<std::uint32_t>(repeat))));
        store.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    auto bytes = read_file_bytes(path);
    REQUIRE(bytes.size() > 8192);
    bytes.resize(bytes.size() / 3);
    write_file(path, bytes);
    try {
        db::Store store(path);
        store.runs();
        FAIL("a truncated store opened");
    } catch (const InputError& error) {
        CHECK_THAT(std::string(error.what()), Catch::Contains("damaged or truncated"));
    } catch (const std::exception& error) {
        FAIL("not an InputError: " << error.what());
    }
}
