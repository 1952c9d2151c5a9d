// Observations and configuration identity with the real tools (small 2x2 / HX1K builds, short
// trainings): nothing stored is replaced, edited inputs make new configurations, merges keep
// every machine's observations.
#include "cli_helpers.h"
#include "db/store.h"
#include "tests/idx_fixture.h"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

using namespace detlab;
using namespace detlab::sweep::testing;

namespace {

// id -> status and artifacts: what must never change once stored.
std::map<std::string, std::string> snapshot(const std::filesystem::path& db_path) {
    db::Store store(db_path);
    std::map<std::string, std::string> out;
    for (const auto& row : store.runs()) {
        std::string text = row.status + " " + row.config_id;
        for (const auto& [name, sha] : store.artifacts(row.id))
            text += " " + name + "=" + sha;
        out[row.id] = text;
    }
    return out;
}

// Everything in `before` is still in `after`, unchanged.
void check_kept(const std::map<std::string, std::string>& before,
                const std::map<std::string, std::string>& after) {
    for (const auto& [id, text] : before) {
        INFO("observation " << id);
        REQUIRE(after.contains(id));
        CHECK(after.at(id) == text);
    }
}

void check_db(const std::filesystem::path& dir, const std::string& db_name) {
    auto check = run_detlab({"db", "check", "--db", db_name}, dir);
    INFO(check.out + check.err);
    CHECK(check.code == 0);
}

std::string sha_printed(const std::string& out, const std::string& name) {
    auto at = out.find(name);
    REQUIRE(at != std::string::npos);
    auto sha = out.find("sha256 ", at);
    return out.substr(sha + 7, 64);
}

} // namespace

TEST_CASE("the same parallel-refine build twice is stored as two observations") {
    auto dir = fresh_test_dir("observations-twice");
    std::vector<std::string> args{"synth",  "--array",   "2",    "--device",
                                  "hx1k",   "--threads", "2",    "--parallel-refine",
                                  "--seed", "5",         "--db", "obs.db"};
    auto first = run_detlab(args, dir);
    INFO(first.out + first.err);
    REQUIRE(first.code == 0);
    auto second = run_detlab(args, dir);
    INFO(second.out + second.err);
    REQUIRE(second.code == 0);
    CHECK(second.out.find("1 earlier observation in obs.db; adding another (experiment adhoc, "
                          "repeat 1)") != std::string::npos);

    db::Store store(dir / "obs.db");
    auto rows = store.runs();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].id != rows[1].id);
    CHECK(rows[0].config_id == rows[1].config_id);
    CHECK(rows[0].host != ""); // every observation says where it was made
    // Each observation holds the bitstream its own build printed.
    std::set<std::string> stored{store.artifacts(rows[0].id).at("bitstream.bin"),
                                 store.artifacts(rows[1].id).at("bitstream.bin")};
    CHECK(stored == std::set<std::string>{sha_printed(first.out, "bitstream.bin"),
                                          sha_printed(second.out, "bitstream.bin")});
    check_db(dir, "obs.db");
}

TEST_CASE("an ad hoc build leaves an experiment alone and an edited RTL file builds again") {
    auto dir = fresh_test_dir("observations-rtl");
    auto rtl = dir / "rtl";
    std::filesystem::copy(source_root() / "rtl", rtl, std::filesystem::copy_options::recursive);
    write_file(dir / "exp.toml", "[experiment]\nname = \"edit\"\ndomains = [\"toolchain\"]\n"
                                 "[toolchain]\narray = 2\ndevice = \"hx1k\"\nrtl_dir = \"" +
                                     rtl.string() +
                                     "\"\n[[toolchain.vary]]\nfactor = \"seed\"\n"
                                     "values = [1, 2]\n");
    auto run = run_detlab({"run", "exp.toml", "--db", "e.db", "-j", "2"}, dir);
    INFO(run.out + run.err);
    REQUIRE(run.code == 0);
    auto before = snapshot(dir / "e.db");
    REQUIRE(before.size() == 2);

    // The same settings from the command line: a new observation filed under adhoc.
    auto adhoc = run_detlab({"synth", "--array", "2", "--device", "hx1k", "--seed", "1",
                             "--rtl-dir", rtl.string(), "--db", "e.db"},
                            dir);
    INFO(adhoc.out + adhoc.err);
    REQUIRE(adhoc.code == 0);
    CHECK(adhoc.out.find("1 earlier observation") != std::string::npos);
    auto after_adhoc = snapshot(dir / "e.db");
    CHECK(after_adhoc.size() == 3);
    check_kept(before, after_adhoc);
    {
        db::Store store(dir / "e.db");
        db::RunFilter edit_only;
        edit_only.experiment = "edit";
        CHECK(store.runs(edit_only).size() == 2);
    }

    // Untouched inputs: nothing to do.
    auto resume = run_detlab({"run", "exp.toml", "--db", "e.db"}, dir);
    REQUIRE(resume.code == 0);
    CHECK(resume.out.find("already done 2, ran 0 done") != std::string::npos);

    // One comment byte in one RTL file: every run of the study is a new configuration.
    auto file = rtl / "systolic_array.v";
    REQUIRE(std::filesystem::exists(file));
    write_file(file, read_file_text(file) + "//\n");
    auto rebuilt = run_detlab({"run", "exp.toml", "--db", "e.db", "-j", "2"}, dir);
    INFO(rebuilt.out + rebuilt.err);
    REQUIRE(rebuilt.code == 0);
    CHECK(rebuilt.out.find("already done 0, ran 2 done") != std::string::npos);
    auto after = snapshot(dir / "e.db");
    CHECK(after.size() == 5);
    check_kept(after_adhoc, after);
    check_db(dir, "e.db");
}

TEST_CASE("a changed data set file makes training runs new") {
    auto dir = fresh_test_dir("observations-data");
    auto data = dir / "fashion";
    std::filesystem::create_directories(data);
    detlab::testing::write_fashion_mnist(data, 40, 20);
    write_file(dir / "exp.toml", "[experiment]\nname = \"data\"\ndomains = [\"train\"]\n"
                                 "[train]\ndataset = \"fashion-mnist\"\ntrain_size = 40\n"
                                 "test_size = 20\nepochs = 1\nbackend = \"golden\"\n"
                                 "[[train.vary]]\nfactor = \"init_seed\"\nvalues = [1, 2]\n");
    std::map<std::string, std::string> env{{"DETLAB_FASHION_MNIST", data.string()}};
    std::vector<std::string> command{"run", "exp.toml", "--db", "t.db"};
    auto first = run_detlab(command, dir, env);
    INFO(first.out + first.err);
    REQUIRE(first.code == 0);
    CHECK(first.out.find("ran 2 done") != std::string::npos);
    auto again = run_detlab(command, dir, env);
    CHECK(again.out.find("already done 2, ran 0 done") != std::string::npos);
    auto before = snapshot(dir / "t.db");

    auto labels = detlab::testing::idx_bytes(0x801, {40}, 40, 10);
    labels.back() = static_cast<std::uint8_t>((labels.back() + 1) % 10);
    write_file(data / "train-labels-idx1-ubyte", labels);
    auto changed = run_detlab(command, dir, env);
    INFO(changed.out + changed.err);
    REQUIRE(changed.code == 0);
    CHECK(changed.out.find("already done 0, ran 2 done") != std::string::npos);
    auto after = snapshot(dir / "t.db");
    CHECK(after.size() == 4);
    check_kept(before, after);
    check_db(dir, "t.db");
}

TEST_CASE("two machines' databases merge with every observation and a cross-machine row") {
    auto dir = fresh_test_dir("observations-machines");
    write_file(dir / "exp.toml", "[experiment]\nname = \"lab\"\ndomains = [\"train\"]\n"
                                 "[train]\nepochs = 2\nbackend = \"golden\"\n"
                                 "[[train.vary]]\nfactor = \"init_seed\"\nvalues = [1, 2]\n");
    auto here = run_detlab({"run", "exp.toml", "--db", "a.db"}, dir);
    REQUIRE(here.code == 0);
    // The neighbour's laptop: the same experiment under another host name (a UTS namespace
    // of its own, so this machine's name is not touched).
    // The host name and detlab's arguments reach sh as arguments, never as script text.
    auto there = run_argv({"unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"",
                           "detlab-neighbour", DETLAB_BINARY, "run", "exp.toml", "--db", "b.db"},
                          dir);
    INFO(there.out + there.err);
    REQUIRE(there.code == 0);
    auto a = snapshot(dir / "a.db"), b = snapshot(dir / "b.db");

    auto merged = run_detlab({"merge", "m.db", "a.db", "b.db"}, dir);
    INFO(merged.out + merged.err);
    REQUIRE(merged.code == 0);
    auto m = snapshot(dir / "m.db");
    CHECK(m.size() == 4);
    check_kept(a, m);
    {
        db::Store store(dir / "m.db");
        std::set<std::string> hosts;
        for (const auto& row : store.runs())
            hosts.insert(row.host);
        CHECK(hosts.size() == 2);
        CHECK(hosts.contains("detlab-neighbour"));
    }
    auto machines = run_detlab({"compare", "--db", "m.db", "--machines"}, dir);
    INFO(machines.out + machines.err);
    REQUIRE(machines.code == 0);
    CHECK(machines.out.find("Across machines") != std::string::npos);
    CHECK(machines.out.find("on 2 machines") != std::string::npos);
    // Golden training is deterministic: the neighbour's weights are bit-identical to ours.
    CHECK(machines.out.find("identical across machines 1/1 pairs") != std::string::npos);
    // Rows never mix machines: each study appears once per machine, each row naming one.
    auto compare = run_detlab({"compare", "--db", "m.db", "--format", "json"}, dir);
    INFO(compare.out + compare.err);
    REQUIRE(compare.code == 0);
    auto rows = nlohmann::json::parse(compare.out);
    std::set<std::string> row_hosts;
    std::size_t init_rows = 0;
    for (const auto& row : rows) {
        REQUIRE(row.contains("machine"));
        row_hosts.insert(row["machine"]["host"].get<std::string>());
        if (row["factor"] == "init_seed") {
            ++init_rows;
            CHECK(row["runs"] == 2); // the two seeds of one machine, never four
        }
    }
    CHECK(row_hosts.size() == 2);
    CHECK(init_rows == 2);
    CHECK(compare.out.find("further observations") == std::string::npos);
    auto report = run_detlab({"report", "--db", "m.db", "--out", "report"}, dir);
    INFO(report.out + report.err);
    REQUIRE(report.code == 0);
    auto html = read_file_text(dir / "report" / "report.html");
    CHECK(html.find("<h2>Across machines</h2>") != std::string::npos);
    CHECK(html.find("identical across machines 1/1 pairs") != std::string::npos);
    check_db(dir, "m.db");
}
