// The store's commands through the real detlab executable: exit codes, messages, output.
#include "db/store.h"
#include "tests/db/helpers.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace detlab;
using test::fresh_dir;
using test::run_detlab;
namespace fs = std::filesystem;

namespace {

const std::string kConfig = R"({"seed":1})";

// Two done runs and one failed run whose message needs CSV quoting.
void fill(const fs::path& path) {
    db::Store store(path);
    store.record_run(test::sample_run(kConfig, 0, "bits"));
    auto second = test::sample_run(kConfig, 1, "bits");
    second.add_metric("not_a_number", std::numeric_limits<double>::quiet_NaN());
    store.record_run(second);
    auto failed = test::sample_run(R"({"seed":2})", 0, "log");
    failed.status = db::kStatusFailed;
    failed.started_at = 1'700'000'100; // listed last
    failed.message = "ERROR: \"top\", line 3\nsecond line";
    failed.params = {{"seed", "2"}, {"failed_stage", "nextpnr"}};
    store.record_run(failed);
}

} // namespace

TEST_CASE("db check exits 1 and names a corrupted blob") {
    auto dir = fresh_dir("cli-check");
    auto path = dir / "store.db";
    fill(path);
    auto clean = run_detlab({"db", "check", "--db", path.string()});
    CHECK(clean.exit_code == 0);
    CHECK_THAT(clean.out, Catch::Contains("integrity check: ok"));
    CHECK_THAT(clean.out, Catch::Contains("blobs checked:   2"));

    auto sha = sha256_hex(std::string_view("bits"));
    {
        SQLite::Database raw(path, SQLite::OPEN_READWRITE);
        SQLite::Statement flip(raw, "UPDATE blobs SET data = substr(data, 1, length(data) - 1) "
                                    "|| X'00' WHERE sha256 = ?");
        flip.bind(1, sha);
        REQUIRE(flip.exec() == 1);
    }
    auto damaged = run_detlab({"db", "check", "--db", path.string()});
    CHECK(damaged.exit_code == 1);
    CHECK_THAT(damaged.out, Catch::Contains("problem: blob " + sha));
    CHECK_THAT(damaged.out, Catch::Contains("store has problems"));
}

TEST_CASE("merge leaves out an observation whose blob is damaged, names it and merges the rest") {
    auto dir = fresh_dir("cli-merge-damaged");
    auto shard = dir / "shard.db";
    auto good = test::sample_run(kConfig, 0, "good bits");
    auto bad = test::sample_run(kConfig, 1, "bad bits");
    {
        db::Store store(shard);
        store.record_run(good);
        store.record_run(bad);
        store.database().exec("UPDATE blobs SET data = substr(data, 1, length(data) - 1) || "
                              "X'00' WHERE sha256 = '" +
                              sha256_hex(std::string_view("bad bits")) + "'");
    }
    auto out = dir / "merged.db";
    auto merged = run_detlab({"merge", out.string(), shard.string()});
    INFO(merged.out << merged.err);
    CHECK(merged.exit_code == 0);
    CHECK_THAT(merged.out, Catch::Contains("added 1 observations"));
    CHECK_THAT(merged.out, Catch::Contains("left out 1 with damaged data"));
    CHECK_THAT(merged.err, Catch::Contains("run " + bad.id + ": bitstream.bin is damaged"));
    CHECK_THAT(merged.err, Catch::Contains("not merged"));
    {
        db::Store result(out);
        CHECK(result.run(good.id));
        CHECK_FALSE(result.run(bad.id));
        CHECK(result.check().ok);
    }
    CHECK(run_detlab({"db", "check", "--db", out.string()}).exit_code == 0);
    CHECK(run_detlab({"db", "check", "--db", shard.string()}).exit_code == 1);
}

TEST_CASE("unusable --db paths exit 2 and leave the file unchanged") {
    auto dir = fresh_dir("cli-paths");
    auto missing = run_detlab({"db", "info", "--db", (dir / "no" / "such.db").string()});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains("no such database"));

    auto text_file = dir / "notes.txt";
    write_file(text_file, std::string_view("hello, not SQLite\n"));
    for (const char* command : {"info", "check"}) {
        auto result = run_detlab({"db", command, "--db", text_file.string()});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains(text_file.string() + ": not a SQLite database"));
    }
    CHECK(read_file_text(text_file) == "hello, not SQLite\n");

    auto read_only = dir / "ro.db";
    fill(read_only);
    auto before = read_file_bytes(read_only);
    fs::permissions(read_only, fs::perms::owner_read | fs::perms::group_read);
    auto result = run_detlab({"runs", "--db", read_only.string()});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(read_only.string() + ": file is read-only"));
    CHECK(read_file_bytes(read_only) == before);
}

TEST_CASE("an empty --db is refused at once with exit 2") {
    for (const char* command : {"runs", "compare", "report"}) {
        auto result = run_detlab({command, "--db", ""});
        CHECK(result.exit_code == 2);
        CHECK_THAT(result.err, Catch::Contains("--db: an empty path names no database file"));
    }
}

TEST_CASE("db info and runs print the store's real contents") {
    auto dir = fresh_dir("cli-runs");
    auto path = dir / "store.db";
    fill(path);
    auto info = run_detlab({"db", "info", "--db", path.string()});
    REQUIRE(info.exit_code == 0);
    CHECK_THAT(info.out, Catch::Contains("schema version  4"));
    CHECK_THAT(info.out, Catch::Matches("(.|\n)*  runs +3\n(.|\n)*"));
    CHECK_THAT(info.out, Catch::Contains("blobs           2 distinct"));
    CHECK_THAT(info.out, Catch::Contains("dedup ratio 1.57")); // 4+4+3 bytes over 4+3

    auto all = run_detlab({"runs", "--db", path.string()});
    REQUIRE(all.exit_code == 0);
    CHECK_THAT(all.out, Catch::StartsWith("ID                EXPERIMENT  KIND       STUDY  FACTOR  "
                                          "VALUE  REPEAT  STATUS  FMAX_MHZ"));
    CHECK_THAT(all.out, Catch::Contains("3 run(s)"));
    auto failed = run_detlab({"runs", "--db", path.string(), "--status", "failed"});
    CHECK_THAT(failed.out, Catch::Contains(db::run_id("toolchain", R"({"seed":2})", 0)));
    CHECK_THAT(failed.out, Catch::Contains("ERROR: \"top\", line 3"));
    CHECK_THAT(failed.out, !Catch::Contains("second line"));
    CHECK_THAT(failed.out, Catch::Contains("1 run(s)"));
    // Every kind the store defines is a valid filter, model_on_bitstream included.
    for (const auto& kind : db::run_kinds()) {
        INFO(kind);
        CHECK(run_detlab({"runs", "--db", path.string(), "--kind", kind}).exit_code == 0);
    }
    auto limited = run_detlab({"runs", "--db", path.string(), "--limit", "2"});
    CHECK_THAT(limited.out, Catch::Contains("2 run(s)"));
    auto bad = run_detlab({"runs", "--db", path.string(), "--status", "finished"});
    CHECK(bad.exit_code == 2);
}

TEST_CASE("export writes runs with params and final metrics as CSV and JSON") {
    auto dir = fresh_dir("cli-export");
    auto path = dir / "store.db";
    fill(path);
    auto csv = run_detlab(
        {"export", "--db", path.string(), "--format", "csv", "--out", (dir / "runs.csv").string()});
    REQUIRE(csv.exit_code == 0);
    auto text = read_file_text(dir / "runs.csv");
    auto id0 = db::run_id("toolchain", kConfig, 0);
    CHECK_THAT(text, Catch::StartsWith(
                         "id,config_id,experiment,kind,repeat,status,message,host,started_at,"
                         "wall_seconds,"
                         "config,params.failed_stage,params.seed,metrics.fmax_mhz,"
                         "metrics.not_a_number,metrics.test_loss\r\n"));
    // The final value of test_loss is the one at the highest step (0.5), not the first (2).
    auto config_id0 = db::configuration_id("toolchain", kConfig);
    CHECK_THAT(text, Catch::Contains(id0 + "," + config_id0 +
                                     ",unit,toolchain,0,done,,testhost,1700000000,1.5,"
                                     "\"{\"\"seed\"\":1}\",,1,100,,0.5\r\n"));
    CHECK_THAT(text, Catch::Contains(",failed,\"ERROR: \"\"top\"\", line 3\nsecond line\","));

    auto json_result = run_detlab({"export", "--db", path.string(), "--format", "json"});
    REQUIRE(json_result.exit_code == 0);
    auto records = nlohmann::json::parse(json_result.out);
    REQUIRE(records.size() == 3);
    CHECK(records[0]["id"] == id0);
    CHECK(records[0]["params"]["seed"] == "1");
    CHECK(records[0]["metrics"]["test_loss"] == 0.5);
    CHECK(records[0]["metrics"]["fmax_mhz"] == 100.0);
    CHECK(records[1]["metrics"]["not_a_number"].is_null());
    CHECK(records[2]["status"] == "failed");
    CHECK(records[2]["params"]["failed_stage"] == "nextpnr");
    auto filtered =
        run_detlab({"export", "--db", path.string(), "--format", "json", "--status", "failed"});
    CHECK(nlohmann::json::parse(filtered.out).size() == 1);
    auto bad_out = run_detlab(
        {"export", "--db", path.string(), "--out", (dir / "no" / "such" / "dir.csv").string()});
    CHECK(bad_out.exit_code == 2);
    CHECK_THAT(bad_out.err, Catch::Contains("--out: "));
}

TEST_CASE("runs shows study, factor, value, Fmax or accuracy and says what was not measured") {
    auto dir = fresh_dir("cli-runs-columns");
    auto path = dir / "store.db";
    {
        db::Store store(path);
        auto sweep_params = [](db::RunResult& run, const std::string& study,
                               const std::string& factor, const std::string& value) {
            run.add_param(db::param::kStudy, study);
            run.add_param(db::param::kFactor, factor);
            run.add_param(db::param::kFactorValue, value);
        };
        auto built = test::sample_run(R"({"seed":7})", 0, "bits"); // fmax_mhz 100
        built.started_at += 1;                                     // listed in this order
        sweep_params(built, "seeds", "seed", "7");
        store.record_run(built);
        auto unmeasured = test::sample_run(R"({"seed":8})", 0, "bits");
        unmeasured.metrics.clear(); // done, yet no Fmax
        unmeasured.started_at += 2;
        sweep_params(unmeasured, "seeds", "seed", "8");
        store.record_run(unmeasured);
        auto broken = test::sample_run(R"({"seed":9})", 0, "log");
        broken.metrics.clear();
        broken.started_at += 3;
        broken.status = db::kStatusTimeout;
        broken.message = "nextpnr timed out after 0.5 s:\nInfo: placing";
        sweep_params(broken, "grid", "seed,placer", R"({"placer":"sa","seed":9})");
        store.record_run(broken);
        db::RunResult trained;
        trained.kind = db::kKindTrain;
        trained.config_json = "{}";
        trained.id = db::new_observation_id();
        trained.experiment = "unit";
        trained.started_at = 1'700'000'200;
        trained.add_metric(db::metric::kFinalTestAccuracy, 0.9375);
        sweep_params(trained, "backend", "backend", R"("golden")");
        store.record_run(trained);
    }
    auto listed = run_detlab({"runs", "--db", path.string()});
    INFO(listed.out << listed.err);
    REQUIRE(listed.exit_code == 0);
    std::vector<std::string> lines;
    std::istringstream stream(listed.out);
    for (std::string line; std::getline(stream, line);)
        lines.push_back(line);
    REQUIRE(lines.size() == 6);
    // Cells are separated by two or more spaces; VALUE of a grid point has single spaces.
    auto cells = [](const std::string& line) {
        std::vector<std::string> out;
        std::size_t at = 0;
        while (at < line.size()) {
            std::size_t gap = line.find("  ", at);
            out.push_back(line.substr(at, gap - at));
            if (gap == std::string::npos)
                break;
            at = line.find_first_not_of(' ', gap);
        }
        return out;
    };
    using Row = std::vector<std::string>;
    auto row = [&](std::size_t i) {
        auto all = cells(lines[i]);
        return Row(all.begin() + 3, all.end()); // after ID, EXPERIMENT, KIND
    };
    CHECK(row(0) == Row{"STUDY", "FACTOR", "VALUE", "REPEAT", "STATUS", "FMAX_MHZ", "ACCURACY",
                        "WALL_S", "MESSAGE"});
    CHECK(row(1) == Row{"seeds", "seed", "7", "0", "done", "100.00", "-", "1.50", "-"});
    CHECK(row(2) == Row{"seeds", "seed", "8", "0", "done", "not measured", "-", "1.50", "-"});
    CHECK(row(3) == Row{"grid", "seed,placer", "placer=sa seed=9", "0", "timeout", "-", "-", "1.50",
                        "nextpnr timed out after 0.5 s:"});
    CHECK(row(4) == Row{"backend", "backend", "golden", "0", "done", "-", "0.9375", "0.00", "-"});
    CHECK(lines[5] == "4 run(s)");
    // The whole message, every line, is in the export.
    auto exported = run_detlab({"export", "--db", path.string(), "--format", "json"});
    CHECK_THAT(exported.out, Catch::Contains("nextpnr timed out after 0.5 s:\\nInfo: placing"));
}
