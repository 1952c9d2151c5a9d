#include "db/store.h"
#include "harness/invariant/invariant.h"
#include "tests/db/helpers.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

using namespace detlab;
using test::fresh_dir;
using test::noise;
using test::sample_run;
namespace fs = std::filesystem;

namespace {
const std::string kConfig = R"({"seed":1})";

} // namespace

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

TEST_CASE("merging a shard adds new observations and skips the ones it holds already") {
    auto dir = fresh_dir("merge");
    db::Store target(dir / "target.db");
    db::Store shard(dir / "shard.db");
    auto same = sample_run(kConfig, 0, "same");
    auto added = sample_run(kConfig, 2, "new blob");
    target.record_run(same);
    shard.record_run(same);
    shard.record_run(added);
    shard.put_experiment("unit", "[experiment]\nname = 'unit'\n");

    auto report = target.merge_from(dir / "shard.db");
    CHECK(report.runs_added == 1);
    CHECK(report.runs_skipped == 1);
    CHECK(report.runs_renamed == 0);
    CHECK(report.blobs_added == 1);
    auto bytes = target.artifact_bytes(added.id, "bitstream.bin");
    REQUIRE(bytes);
    CHECK(std::string(bytes->begin(), bytes->end()) == "new blob");
    CHECK(target.metrics(added.id).size() == 3);
    CHECK(target.provenance(added.id).size() == 2); // its own, and the session (store.id)
    CHECK(target.provenance(added.id).at(db::kStoreIdProvenance) ==
          db::Store(dir / "shard.db").store_id());
    CHECK(target.experiment_source("unit"));
    CHECK(target.check().ok);

    auto again = target.merge_from(dir / "shard.db"); // idempotent
    CHECK(again.runs_added == 0);
    CHECK(again.runs_skipped == 2);
    CHECK_THROWS_WITH(target.merge_from(dir / "target.db"), Catch::Contains("into itself"));

    // A damaged blob in a shard leaves out that observation only (never copied as if it were
    // good), and says so; the shard's other new observation and a good cache entry merge.
    auto damaged = sample_run(kConfig, 3, "will be damaged");
    auto fine = sample_run(kConfig, 4, "fine");
    shard.record_run(damaged);
    shard.record_run(fine);
    auto damaged_sha = sha256_hex(std::string_view("will be damaged"));
    auto bytes_of = [](std::string_view text) {
        return Bytes(text.begin(), text.end());
    };
    auto cached_sha = shard.put_blob(bytes_of("cached netlist"));
    shard.cache_store("synth:good", cached_sha);
    auto bad_cached_sha = shard.put_blob(bytes_of("damaged netlist"));
    shard.cache_store("synth:bad", bad_cached_sha);
    for (const auto& sha : {damaged_sha, bad_cached_sha})
        shard.database().exec("UPDATE blobs SET data = X'00' WHERE sha256 = '" + sha + "'");
    auto partial = target.merge_from(dir / "shard.db");
    CHECK(partial.runs_added == 1);
    REQUIRE(partial.damaged.size() == 2);
    CHECK_THAT(partial.damaged[0], Catch::Contains("run " + damaged.id +
                                                   ": bitstream.bin is "
                                                   "damaged (blob " +
                                                   damaged_sha));
    CHECK_THAT(partial.damaged[1], Catch::Contains("cache entry synth:bad"));
    CHECK_FALSE(target.run(damaged.id));
    CHECK(target.run(fine.id));
    CHECK(target.runs().size() == 3);
    CHECK(target.cache_lookup("synth:good") == cached_sha);
    CHECK_FALSE(target.cache_lookup("synth:bad"));
    CHECK_THROWS_AS(target.get_blob(damaged_sha), std::out_of_range);
    CHECK(target.check().ok);
    // The damage is named where it is read, too.
    CHECK_THROWS_WITH(shard.artifact_bytes(damaged.id, "bitstream.bin"),
                      Catch::Contains("run " + damaged.id + ": bitstream.bin is damaged"));
    CHECK_THROWS_AS(target.merge_from(dir / "nothing.db"), InputError);
}

TEST_CASE("two observations that share an id (old stores, other machines) are both kept") {
    auto dir = fresh_dir("merge-results");
    db::Store target(dir / "target.db");
    db::Store other(dir / "other.db");
    // Same id and configuration; a nondeterministic tool (or another machine) gave another
    // bitstream there. Both are observations: neither may be dropped.
    auto here = sample_run(kConfig, 0, "bits here");
    auto there = sample_run(kConfig, 0, "bits there");
    there.host = "otherhost";
    auto failed_there = sample_run(kConfig, 1, "");
    failed_there.status = db::kStatusFailed;
    failed_there.started_at += 50;
    target.record_run(here);
    target.record_run(sample_run(kConfig, 1, "done here"));
    other.record_run(there);
    other.record_run(failed_there);

    auto report = target.merge_from(dir / "other.db");
    CHECK(report.runs_added == 2);
    CHECK(report.runs_renamed == 2);
    CHECK(report.runs_skipped == 0);
    auto runs = target.runs();
    REQUIRE(runs.size() == 4);
    std::set<std::string> bitstreams;
    for (const auto& run : runs) {
        if (auto bytes = target.artifact_bytes(run.id, "bitstream.bin"))
            bitstreams.insert(std::string(bytes->begin(), bytes->end()));
        if (run.id != here.id && run.host == "otherhost")
            CHECK(target.provenance(run.id).at("merged_from_id") == here.id);
    }
    CHECK(bitstreams == std::set<std::string>{"bits here", "bits there", "done here", ""});
    CHECK(target.run(here.id)->host == "testhost"); // what was stored is untouched

    auto again = target.merge_from(dir / "other.db"); // the renamed copies are found again
    CHECK(again.runs_added == 0);
    CHECK(again.runs_skipped == 2);
    CHECK(target.runs().size() == 4);
    CHECK(target.check().ok);
}

TEST_CASE("record_run never replaces a stored observation") {
    auto dir = fresh_dir("no-replace");
    db::Store store(dir / "store.db");
    auto first = sample_run(kConfig, 0, "first bits");
    store.record_run(first);
    auto second = sample_run(kConfig, 0, "second bits");
    CHECK_THROWS_AS(store.record_run(second), InternalError); // a caller's bug, not bad input
    auto kept = store.artifact_bytes(first.id, "bitstream.bin");
    REQUIRE(kept);
    CHECK(std::string(kept->begin(), kept->end()) == "first bits");
    CHECK(store.runs().size() == 1);

    // A fresh observation of the same configuration sits beside it, in the same slot.
    second.id = db::new_observation_id();
    CHECK(second.id != first.id);
    store.record_run(second);
    auto config_id = db::configuration_id("toolchain", kConfig);
    CHECK(store.run(second.id)->config_id == config_id);
    CHECK(store.observation_count(config_id) == 2);
    CHECK(store.slot_statuses("unit", config_id, 0) ==
          std::vector<std::string>{db::kStatusDone, db::kStatusDone});
    CHECK(store.next_repeat("unit", config_id) == 1);
    CHECK(store.next_repeat("adhoc", config_id) == 0);
}

TEST_CASE("a configuration's identity covers its inputs' bytes, in any order") {
    db::InputDigests inputs{{"rtl/a.v", sha256_hex(std::string_view("module a;"))},
                            {"pcf/hx1k.pcf", sha256_hex(std::string_view("set_io clk 21"))}};
    auto id = db::configuration_id("toolchain", kConfig, inputs);
    CHECK(id.size() == 17);
    CHECK(id[0] == 'c');
    db::InputDigests reordered{inputs[1], inputs[0]};
    CHECK(db::configuration_id("toolchain", kConfig, reordered) == id);
    auto edited = inputs;
    edited[0].second = sha256_hex(std::string_view("module a; // comment"));
    CHECK(db::configuration_id("toolchain", kConfig, edited) != id);
    CHECK(db::configuration_id("train", kConfig, inputs) != id);
    CHECK(db::configuration_id("toolchain", R"({"seed":2})", inputs) != id);
}

TEST_CASE("run kinds: one enum, the stored texts unchanged, unknown texts refused") {
    // The texts are stored data; these are the ones runs were stored under before the enum.
    CHECK(std::string(db::kind_name(db::RunKind::toolchain)) == "toolchain");
    CHECK(std::string(db::kind_name(db::RunKind::train)) == "train");
    CHECK(std::string(db::kind_name(db::RunKind::model_on_bitstream)) == "model_on_bitstream");
    REQUIRE(db::run_kinds().size() == std::size(db::kAllRunKinds));
    for (db::RunKind kind : db::kAllRunKinds) {
        CHECK(db::run_kind(db::kind_name(kind)) == kind);
        CHECK(std::count(db::run_kinds().begin(), db::run_kinds().end(),
                         std::string(db::kind_name(kind))) == 1);
    }
    CHECK_FALSE(db::run_kind("Train").has_value());
    CHECK_FALSE(db::run_kind("").has_value());
    CHECK_FALSE(db::run_kind("training").has_value()); // the analysis's domain name, not a kind
}

TEST_CASE("shared parameter and metric names keep the texts runs were stored under") {
    // Stored data: a renamed constant would orphan every stored run, so the texts are pinned
    // here once, and code everywhere else uses the constants.
    CHECK(std::string(db::param::kStudy) == "study");
    CHECK(std::string(db::param::kFactor) == "factor");
    CHECK(std::string(db::param::kFactorValue) == "factor_value");
    CHECK(std::string(db::metric::kFmaxIcetimeMhz) == "fmax_icetime_mhz");
    CHECK(std::string(db::metric::kLogicUtilisationPct) == "logic_utilisation_pct");
    CHECK(std::string(db::metric::kLogicCells) == "logic_cells");
    CHECK(std::string(db::metric::kRamBlocks) == "ram_blocks");
    CHECK(std::string(db::metric::kIoCells) == "io_cells");
    CHECK(std::string(db::metric::kGlobalBuffers) == "global_buffers");
    CHECK(std::string(db::metric::kDspBlocks) == "dsp_blocks");
    CHECK(std::string(db::metric::kToolsWallS) == "tools_wall_s");
    CHECK(std::string(db::metric::kTotalWallS) == "total_wall_s");
    CHECK(std::string(db::metric::kHarnessOverheadS) == "harness_overhead_s");
    CHECK(std::string(db::metric::kEpochWallS) == "epoch_wall_s");
    CHECK(db::metric::stage_wall_s("nextpnr") == "nextpnr_wall_s");
    CHECK(db::metric::stage_cpu_s("yosys") == "yosys_cpu_s");
    CHECK(db::metric::stage_max_rss_kib("icepack") == "icepack_max_rss_kib");
}

TEST_CASE("annotate_run refuses a metric or artifact the run already has, and only that") {
    auto dir = fresh_dir("annotate");
    db::Store store(dir / "store.db");
    auto run = sample_run(kConfig, 0, "bits");
    store.record_run(run);
    db::RunResult extra;
    extra.add_metric("equiv_mismatches", 0);
    store.annotate_run(run.id, extra);
    // The primary key's conflict is the one error annotate_run names itself.
    CHECK_THROWS_WITH(store.annotate_run(run.id, extra),
                      Catch::Contains("already has metric equiv_mismatches"));
    CHECK_THROWS_AS(store.annotate_run("no-such-run", extra), InternalError);
    auto metrics = store.metrics(run.id);
    CHECK(std::count_if(metrics.begin(), metrics.end(),
                        [](const auto& metric) { return metric.key == "equiv_mismatches"; }) == 1);
}
