// A user's own design as the object of a study: the FIR filter example (examples/fir_filter)
// swept end to end, each way its description can be wrong, a top with its own parameter N,
// and a tool's error line in a failed run. Real yosys, nextpnr-ice40 and icepack throughout.
#include "db/store.h"
#include "tests/fresh_dir.h"
#include "tests/sweep/cli_helpers.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace detlab;
using namespace detlab::sweep::testing;

namespace {

std::filesystem::path example_dir() {
    return source_root() / "examples/fir_filter";
}

std::filesystem::path fresh_dir(const std::string& name) {
    return detlab::test::fresh_dir("examples", name);
}

// A copy of the example in dir/fir with its experiment file, to edit one thing at a time.
std::filesystem::path copy_example(const std::filesystem::path& dir) {
    auto copy = dir / "fir";
    std::filesystem::copy(example_dir(), copy, std::filesystem::copy_options::recursive);
    return copy;
}

std::string param_of(const db::Store& store, const std::string& run_id, const std::string& key) {
    for (const auto& [name, value] : store.params(run_id))
        if (name == key)
            return value;
    return "";
}

// Replaces the one line of `text` that starts with `prefix`.
std::string replace_line(std::string text, const std::string& prefix, const std::string& line) {
    auto at = text.find("\n" + prefix);
    REQUIRE(at != std::string::npos);
    auto end = text.find('\n', at + 1);
    return text.replace(at + 1, end - at - 1, line);
}

} // namespace

TEST_CASE("the FIR example swept over seeds, repeats and file order, then compared and reported") {
    auto dir = fresh_dir("fir-sweep");
    // Run from another folder: rtl_dir = "." must mean the experiment file's folder.
    auto experiment = (example_dir() / "experiment.toml").string();
    auto run = run_detlab({"run", experiment, "--db", "fir.db", "-j", "2", "--no-progress"}, dir);
    INFO(run.out + run.err);
    REQUIRE(run.code == 0);

    db::Store store(dir / "fir.db");
    auto rows = store.runs();
    REQUIRE(rows.size() == 8); // 3 seeds, 3 repeats, 2 file orders
    std::map<std::string, int> per_study;
    for (const auto& row : rows) {
        INFO(row.id << " " << row.message);
        CHECK(row.status == "done");
        CHECK(row.experiment == "fir_filter");
        auto config = nlohmann::json::parse(row.config_json);
        CHECK(config.at("top") == "fir_top");
        CHECK(config.at("parameters") == nlohmann::json({{"TAPS", 4}, {"W", 8}}));
        CHECK_FALSE(config.contains("array")); // the accelerator's key means nothing here
        auto script = store.provenance(row.id).at("yosys_script");
        CHECK_THAT(script, Catch::Contains("chparam -set TAPS 4 fir_top") &&
                               Catch::Contains("chparam -set W 8 fir_top") &&
                               Catch::Contains("synth_ice40 -top fir_top"));
        // fir_defs.v is marked keep-order: it stays the first file read in every order.
        CHECK(script.find("read_verilog") == script.find("read_verilog src/fir_defs.v"));
        ++per_study[param_of(store, row.id, "study")];
    }
    CHECK(per_study == std::map<std::string, int>{{"seed", 3}, {"repeat", 3}, {"file_order", 2}});

    auto compare = run_detlab({"compare", "--db", "fir.db"}, dir);
    INFO(compare.out + compare.err);
    REQUIRE(compare.code == 0);
    CHECK_THAT(compare.out, Catch::Contains("fir_filter"));
    // Seeds move the bitstream, repeats do not; every bitstream computes what its netlist does.
    // (Columns: domain, experiment, study, source, machine "<host> #<digest> s<session>", runs,
    // differ.)
    CHECK_THAT(
        compare.out,
        Catch::Matches(
            R"((.|\n)*fir_filter +seed +seed +\S+ #[0-9a-f]{6} s[0-9a-f]{6} +3 +2/2 (.|\n)*)"));
    CHECK_THAT(
        compare.out,
        Catch::Matches(
            R"((.|\n)*fir_filter +repeat +repeat +\S+ #[0-9a-f]{6} s[0-9a-f]{6} +3 +0/2 (.|\n)*)"));
    CHECK_THAT(compare.out, Catch::Contains("fir_filter / seed: 3/3 no difference in 64 vectors"));
    CHECK_THAT(compare.out,
               Catch::Contains("fir_filter / repeat: 3/3 no difference in 64 vectors"));

    auto report = run_detlab({"report", "--db", "fir.db", "--out", "report"}, dir);
    INFO(report.out + report.err);
    REQUIRE(report.code == 0);
    auto html = read_file_text(dir / "report" / "report.html");
    CHECK_THAT(html, Catch::Contains("fir_filter") && Catch::Contains("seed"));
    CHECK_THAT(html, Catch::Contains("file_order") && Catch::Contains("repeat"));
}

TEST_CASE(
    "each wrong design description exits 2 naming file, line and key, the database untouched") {
    auto dir = fresh_dir("fir-invalid");
    auto fir = copy_example(dir);
    auto original = read_file_text(fir / "experiment.toml");
    // A database that exists must keep its bytes; one that does not must not appear.
    auto existing = dir / "existing.db";
    { db::Store create(existing); }
    auto existing_bytes = read_file_text(existing);
    struct Case {
        std::string what, prefix, line, sources_extra;
        std::vector<std::string> message;
    };
    std::vector<Case> cases{
        {"missing top",
         "top = ",
         "top = \"fir_nope\"",
         "",
         {"sources.txt: top: yosys cannot elaborate top fir_nope", "ERROR:", "fir_nope"}},
        {"a parameter the top lacks",
         "parameters = ",
         "parameters = { TAPS = 4, DEPTH = 3 }",
         "",
         {"sources.txt: parameters: yosys cannot elaborate top fir_top", "ERROR:", "DEPTH"}},
        {"a listed file that does not exist",
         "top = ",
         "top = \"fir_top\"",
         "fir_gone.v\n",
         {"sources.txt:8: fir_gone.v: file not found"}},
        {"an unknown device",
         "device = ",
         "device = \"hx2k\"",
         "",
         {"experiment.toml:23: toolchain.device: \"hx2k\" is not one of: "}},
        {"a package the device lacks",
         "device = ",
         "device = \"hx1k\"\npackage = \"ct256\"",
         "",
         {"package: \"ct256\" is not a package of hx1k"}},
        {"array given for a top that is not the accelerator",
         "device = ",
         "device = \"hx1k\"\narray = 2",
         "",
         {"experiment.toml", "array"}},
    };
    auto sources = read_file_text(fir / "sources.txt");
    for (const auto& c : cases) {
        INFO(c.what);
        write_file(fir / "experiment.toml", replace_line(original, c.prefix, c.line));
        write_file(fir / "sources.txt", sources + c.sources_extra);
        for (const char* db_name : {"never.db", "existing.db"}) {
            auto outcome = run_detlab(
                {"run", (fir / "experiment.toml").string(), "--db", db_name, "--no-progress"}, dir);
            INFO(db_name << ": " << outcome.err);
            CHECK(outcome.code == 2);
            CHECK_THAT(outcome.err, Catch::StartsWith("detlab: "));
            for (const auto& part : c.message)
                CHECK_THAT(outcome.err, Catch::Contains(part));
            CHECK(outcome.out.empty());
        }
        CHECK_FALSE(std::filesystem::exists(dir / "never.db"));
        CHECK(read_file_text(existing) == existing_bytes);
        CHECK_FALSE(std::filesystem::exists(dir / "existing.db-wal"));
        CHECK_FALSE(std::filesystem::exists(dir / "never.db.work"));
    }
}

namespace {

// A tiny design whose top has a parameter N of its own (default 3) that shows in the netlist:
// n_value is driven by the constant N.
std::filesystem::path own_n_design(const std::filesystem::path& dir) {
    auto rtl = dir / "own-n";
    std::filesystem::create_directories(rtl / "pcf");
    write_file(rtl / "sources.txt", "n_top.v\n");
    write_file(rtl / "n_top.v", R"(module n_top #(parameter integer N = 3) (
    input wire clk,
    output reg blink,
    output wire [7:0] n_value
);
    initial blink = 1'b0;
    always @(posedge clk) blink <= ~blink;
    assign n_value = N;
endmodule
)");
    std::string pins = "set_io clk 21\nset_io blink 99\n";
    for (int bit = 0; bit < 8; ++bit)
        pins += "set_io n_value[" + std::to_string(bit) + "] " + std::to_string(112 + bit) + "\n";
    write_file(rtl / "pcf" / "hx1k.pcf", pins);
    return rtl;
}

// The value the netlist drives n_value with (its port bits are constants "0"/"1", LSB first).
int netlist_n(const db::Store& store, const std::string& run_id) {
    auto bytes = store.artifact_bytes(run_id, "netlist.json");
    REQUIRE(bytes);
    auto netlist = nlohmann::json::parse(bytes->begin(), bytes->end());
    auto bits = netlist.at("modules").at("n_top").at("ports").at("n_value").at("bits");
    int value = 0;
    for (std::size_t i = 0; i < bits.size(); ++i) {
        REQUIRE(bits[i].is_string()); // a constant, not a net
        if (bits[i] == "1")
            value |= 1 << i;
    }
    return value;
}

} // namespace

TEST_CASE("a top's own parameter N is kept at its default, or set by parameters") {
    auto dir = fresh_dir("own-n");
    auto rtl = own_n_design(dir);
    auto plain =
        run_detlab({"synth", "--rtl-dir", rtl.string(), "--top", "n_top", "--db", "n.db"}, dir);
    INFO(plain.out + plain.err);
    REQUIRE(plain.code == 0);
    auto set = run_detlab({"synth", "--rtl-dir", rtl.string(), "--top", "n_top", "--parameters",
                           "N=5", "--db", "n.db"},
                          dir);
    INFO(set.out + set.err);
    REQUIRE(set.code == 0);

    db::Store store(dir / "n.db");
    auto rows = store.runs();
    REQUIRE(rows.size() == 2);
    const auto& kept = rows[0];
    const auto& five = rows[1];
    CHECK(netlist_n(store, kept.id) == 3); // not the accelerator's array size 2
    CHECK(netlist_n(store, five.id) == 5);
    auto kept_script = store.provenance(kept.id).at("yosys_script");
    CHECK(kept_script.find("chparam") == std::string::npos);
    CHECK_THAT(store.provenance(five.id).at("yosys_script"),
               Catch::Contains("chparam -set N 5 n_top"));
    CHECK(param_of(store, kept.id, "array").empty());
}

TEST_CASE("a run nextpnr fails is stored with nextpnr's own error line") {
    auto dir = fresh_dir("nextpnr-error");
    auto rtl = own_n_design(dir);
    // Yosys and the design check accept it; only the placer learns the pin does not exist.
    auto pins = read_file_text(rtl / "pcf" / "hx1k.pcf");
    write_file(rtl / "pcf" / "hx1k.pcf",
               replace_line("\n" + pins, "set_io blink", "set_io blink 200"));
    auto outcome =
        run_detlab({"synth", "--rtl-dir", rtl.string(), "--top", "n_top", "--db", "fail.db"}, dir);
    INFO(outcome.out + outcome.err);
    CHECK(outcome.code == 1);
    CHECK_THAT(outcome.err,
               Catch::Contains("nextpnr") && Catch::Contains("ERROR:") && Catch::Contains("200"));
    db::Store store(dir / "fail.db");
    auto rows = store.runs();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == "failed");
    CHECK(param_of(store, rows[0].id, "failed_stage") == "nextpnr");
    CHECK_THAT(rows[0].message, Catch::Contains("ERROR:") && Catch::Contains("200"));
}

TEST_CASE("the FIR example's testbench passes against its reference model") {
    auto dir = fresh_dir("fir-tb");
    auto fir = example_dir();
    for (int taps : {4, 8}) {
        INFO("TAPS = " << taps);
        auto sim = (dir / ("fir_tb_" + std::to_string(taps))).string();
        auto compile = run_argv({"iverilog", "-g2012", "-Pfir_tb.TAPS=" + std::to_string(taps),
                                 "-o", sim, (fir / "fir_defs.v").string(),
                                 (fir / "fir_reset_sync.v").string(), (fir / "fir_tap.v").string(),
                                 (fir / "fir_top.v").string(), (fir / "tb/fir_tb.v").string()},
                                dir);
        INFO(compile.err);
        REQUIRE(compile.code == 0);
        auto run = run_argv({"vvp", "-n", sim}, dir);
        INFO(run.out + run.err);
        CHECK(run.code == 0);
        CHECK_THAT(run.out, Catch::Contains("400 samples, all outputs match the reference"));
    }
}
