// One damaged blob costs that run's figures and nothing else: the analysis, `detlab compare`,
// `detlab report` and `detlab verdict` go on with the other runs and name the damaged run and
// its artifact, while `detlab db check` still fails.
#include "analysis/analysis.h"
#include "harness/process/process.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace detlab;
using namespace detlab::analysis;
namespace fs = std::filesystem;

namespace {

// Not an iCE40 file: the analysis compares such bitstreams over all their bytes.
Bytes plain_bin(std::uint8_t fill) {
    Bytes bin(64, fill);
    bin[0] = 0x42;
    return bin;
}

db::RunResult build(const std::string& experiment, const std::string& study, int seed,
                    std::uint8_t fill, const std::string& host, double started) {
    db::RunResult r;
    r.kind = "toolchain";
    r.config_json = nlohmann::json{{"seed", seed}, {"study", study}}.dump();
    r.id = db::new_observation_id();
    r.experiment = experiment;
    r.host = host;
    r.started_at = started;
    r.add_param("seed", std::to_string(seed));
    r.add_param("study", study);
    r.add_param("factor", "seed");
    r.add_param("factor_value", std::to_string(seed));
    r.add_artifact("netlist.json", std::string_view("{}"));
    r.add_artifact("bitstream.bin", plain_bin(fill));
    r.add_metric("fmax_mhz", 100 + seed);
    return r;
}

db::RunResult training(int seed, float w) {
    db::RunResult r;
    r.kind = "train";
    r.config_json = nlohmann::json{{"init_seed", seed}}.dump();
    r.id = db::new_observation_id();
    r.experiment = "handmade";
    r.host = "here";
    r.add_param("init_seed", std::to_string(seed));
    r.add_param("study", "init");
    r.add_param("factor", "init_seed");
    r.add_param("factor_value", std::to_string(seed));
    r.add_artifact("weights.bin", encode_tensors({{"w1", {2}, {1.0f, w}}}));
    r.add_artifact("test_logits.bin",
                   encode_tensors({{"logits", {2, 2}, {w, 0, 0, w}}, {"labels", {2}, {0, 1}}}));
    r.add_metric("final_test_accuracy", 0.5 + 0.1 * seed);
    return r;
}

std::string sha_of(const db::RunResult& run, const std::string& name) {
    for (const auto& a : run.artifacts)
        if (a.name == name)
            return sha256_hex(a.bytes);
    FAIL("no artifact " << name);
    return {};
}

// Damages a stored blob the way a bad disk sector or a stray write would.
void flip_a_byte(const fs::path& db, const std::string& sha) {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    SQLite::Statement flip(raw, "UPDATE blobs SET data = substr(data, 1, length(data) - 1) || "
                                "X'00' WHERE sha256 = ?");
    flip.bind(1, sha);
    REQUIRE(flip.exec() == 1);
}
void overwrite(const fs::path& db, const std::string& sha) {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    SQLite::Statement garbage(raw, "UPDATE blobs SET data = X'28b52ffd00' WHERE sha256 = ?");
    garbage.bind(1, sha);
    REQUIRE(garbage.exec() == 1);
}

struct DamagedStore {
    fs::path dir, db;
    std::string bad_build, bad_training, bad_machine;
};

DamagedStore damaged_store(const std::string& name) {
    DamagedStore s;
    s.dir = fs::path(DETLAB_TEST_TMP) / "analysis-damaged" / name;
    fs::remove_all(s.dir);
    fs::create_directories(s.dir);
    s.db = s.dir / "detlab.db";
    std::vector<db::RunResult> builds, trainings;
    db::RunResult away, away_there;
    {
        db::Store store(s.db);
        for (int seed : {1, 2, 3})
            builds.push_back(build("handmade", "seed", seed, static_cast<std::uint8_t>(seed * 16),
                                   "here", 1000 + seed));
        for (int seed : {1, 2, 3})
            trainings.push_back(training(seed, float(seed)));
        // One configuration observed on two machines, the later observation damaged.
        away = build("away", "away", 9, 0x90, "here", 2000);
        away_there = build("away", "away", 9, 0x91, "there", 2001);
        for (const auto* list : {&builds, &trainings})
            for (const auto& run : *list)
                store.record_run(run);
        store.record_run(away);
        store.record_run(away_there);
    }
    flip_a_byte(s.db, sha_of(builds[1], "bitstream.bin"));
    overwrite(s.db, sha_of(trainings[2], "test_logits.bin"));
    overwrite(s.db, sha_of(away_there, "bitstream.bin"));
    s.bad_build = builds[1].id;
    s.bad_training = trainings[2].id;
    s.bad_machine = away_there.id;
    return s;
}

const GroupSummary& group(const std::vector<GroupSummary>& all, const std::string& study) {
    for (const auto& s : all)
        if (s.group.study == study)
            return s;
    FAIL("no group " << study);
    throw std::logic_error("unreachable");
}

process::Result detlab_cli(std::vector<std::string> args) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.timeout = std::chrono::seconds(120);
    return process::run(spec);
}

} // namespace

TEST_CASE("a damaged blob sets its run aside and the rest of the store is analysed") {
    auto s = damaged_store("api");
    db::Store store(s.db);
    auto all = analyse(store, std::string("handmade"));
    const auto& seeds = group(all, "seed");
    CHECK(seeds.group.runs.size() == 2);
    REQUIRE(seeds.group.damaged.size() == 1);
    CHECK(seeds.group.damaged[0].run_id == s.bad_build);
    CHECK(seeds.group.damaged[0].artifact == "bitstream.bin");
    CHECK_THAT(seeds.group.damaged[0].problem, Catch::Contains("blob "));
    REQUIRE(seeds.toolchain);
    CHECK(seeds.toolchain->bitstream.bits_matrix.size() == 4); // the two readable runs
    CHECK(seeds.toolchain->fmax_mhz.n == 2);

    const auto& init = group(all, "init");
    CHECK(init.group.runs.size() == 2);
    REQUIRE(init.group.damaged.size() == 1);
    CHECK(init.group.damaged[0].run_id == s.bad_training);
    CHECK(init.group.damaged[0].artifact == "test_logits.bin");
    REQUIRE(init.training);
    CHECK(init.training->pairs == 1);

    auto rows = comparison_rows(all);
    auto alarms = damaged_alarms(rows);
    REQUIRE(alarms.size() == 2);
    CHECK_THAT(alarms[0] + alarms[1],
               Catch::Contains(s.bad_build) && Catch::Contains(s.bad_training));

    auto machines = compare_machines(store, std::string("away"));
    REQUIRE(machines.size() == 1);
    CHECK(machines[0].cross_pairs == 1);
    CHECK(machines[0].cross_distance.n == 0); // the one pair needs the damaged output
    REQUIRE(machines[0].damaged.size() == 1);
    CHECK(machines[0].damaged[0].run_id == s.bad_machine);
    CHECK_THAT(format_machines(machines, Format::text), Catch::Contains(s.bad_machine));

    CHECK_FALSE(store.check().ok);
}

TEST_CASE("compare, verdict and report succeed on the rest and name the damaged runs", "[cli]") {
    auto s = damaged_store("cli");
    std::string db = s.db.string();
    auto compare = detlab_cli({"compare", "--db", db});
    INFO(compare.out << compare.err);
    REQUIRE(compare.exit_code == 0);
    CHECK_THAT(compare.out, Catch::Contains("2 (+1 damaged)"));
    CHECK_THAT(compare.err, Catch::Contains("DAMAGED DATA"));
    CHECK_THAT(compare.err, Catch::Contains("run " + s.bad_build + ": bitstream.bin is damaged"));
    CHECK_THAT(compare.err,
               Catch::Contains("run " + s.bad_training + ": test_logits.bin is damaged"));
    CHECK_THAT(compare.err, Catch::Contains(s.bad_machine)); // the cross-machine section

    auto json = detlab_cli({"compare", "--db", db, "--format", "json"});
    REQUIRE(json.exit_code == 0);
    std::size_t named = 0;
    for (const auto& row : nlohmann::json::parse(json.out))
        for (const auto& text : row.at("damaged"))
            named += text.get<std::string>().find(s.bad_build) != std::string::npos;
    CHECK(named == 1);

    auto machines = detlab_cli({"compare", "--db", db, "--machines"});
    REQUIRE(machines.exit_code == 0);
    CHECK_THAT(machines.out, Catch::Contains("run " + s.bad_machine + ": bitstream.bin"));

    CHECK(detlab_cli({"verdict", "--db", db}).exit_code == 0);

    auto report = detlab_cli({"report", "--db", db, "--out", (s.dir / "report").string()});
    INFO(report.out << report.err);
    REQUIRE(report.exit_code == 0);
    CHECK_THAT(report.err, Catch::Contains(s.bad_build));
    auto html = read_file_text(s.dir / "report" / "report.html");
    CHECK_THAT(html, Catch::Contains("Damaged data left out"));
    CHECK_THAT(html, Catch::Contains(s.bad_build) && Catch::Contains(s.bad_training) &&
                         Catch::Contains(s.bad_machine));

    auto check = detlab_cli({"db", "check", "--db", db});
    CHECK(check.exit_code == 1);
    CHECK_THAT(check.out, Catch::Contains("store has problems"));
}
