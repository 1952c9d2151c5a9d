// A design described the way its authors describe it (tests/toolchain/fixtures/memsoc): an
// `include found through include_dirs, $readmemh data files (one named by a string parameter
// whose default names no file), every SB_RAM40_4K mode, a PLL and a directly instantiated
// SB_IO. Real yosys and nextpnr on an HX1K.
#include "db/store.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <sstream>

using namespace detlab;

namespace {

// A private copy of the fixture, so a test may edit it.
struct Design {
    std::filesystem::path dir = make_temp_dir("memsoc", DETLAB_TEST_TMP);
    std::filesystem::path rtl = dir / "memsoc";
    Design() {
        std::filesystem::copy(source_root() / "tests/toolchain/fixtures/memsoc", rtl,
                              std::filesystem::copy_options::recursive);
    }
    ~Design() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    // The description of experiments/ and the docs: include_dirs, data_files, a string.
    nlohmann::json config() const {
        return {{"rtl_dir", rtl.string()},
                {"top", "memsoc_top"},
                {"parameters", {{"memfile", "sw/prog16.hex"}, {"LED_XOR", 2}}},
                {"include_dirs", {"inc"}},
                {"defines", {{"MEMSOC_UNUSED", ""}}},
                {"data_files", {"sw/prog16.hex", "sw/table8.hex"}}};
    }
    nlohmann::json completed(nlohmann::json partial) const {
        return complete_config(toolchain::config_keys(), partial, "config");
    }
};

std::optional<double> find_metric(const db::RunResult& run, const std::string& key) {
    for (const auto& metric : run.metrics)
        if (metric.key == key)
            return metric.value;
    return std::nullopt;
}

const db::Artifact* find_artifact(const db::RunResult& run, const std::string& name) {
    for (const auto& artifact : run.artifacts)
        if (artifact.name == name)
            return &artifact;
    return nullptr;
}

// The error text of `call`, or "no error".
template <class Call>
std::string error_of(Call call) {
    try {
        call();
    } catch (const InputError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("a design with includes, data files, a string parameter and hard blocks builds") {
    Design design;
    auto config = design.completed(design.config());
    // The design check reads the family's cells: SB_IO, SB_PLL40_CORE, SB_RAM40_4K pass.
    CHECK(error_of([&] { toolchain::check_design(config); }) == "no error");

    observation::Context context;
    context.work_root = design.dir / "work";
    auto run = toolchain::run_build(config, 0, context);
    INFO(run.message);
    REQUIRE(run.status == db::kStatusDone);
    CHECK(find_metric(run, db::metric::kRamBlocks) == 4);
    auto* netlist = find_artifact(run, "netlist.json");
    REQUIRE(netlist);
    auto json = nlohmann::json::parse(netlist->bytes.begin(), netlist->bytes.end());
    std::set<std::string> modes;
    std::multiset<std::string> types;
    for (const auto& [name, cell] : json.at("modules").at("memsoc_top").at("cells").items()) {
        types.insert(cell.at("type").get<std::string>());
        if (cell.at("type") == "SB_RAM40_4K")
            modes.insert(cell.at("parameters").at("READ_MODE").get<std::string>());
    }
    CHECK(types.count("SB_PLL40_CORE") == 1);
    CHECK(types.count("SB_IO") == 1);
    // Modes 0..3 (256x16, 512x8, 1024x4, 2048x2), as yosys writes the 2-bit parameter.
    CHECK(modes.size() == 4);
    // The data file's bytes reached the 256x16 RAM (mode 0): yosys may permute the bits of
    // INIT_0..F, so their count of ones is compared with prog16.hex's.
    long ones = -1;
    for (const auto& [name, cell] : json.at("modules").at("memsoc_top").at("cells").items())
        if (cell.at("type") == "SB_RAM40_4K" &&
            std::stoi(cell.at("parameters").at("READ_MODE").get<std::string>(), nullptr, 2) == 0) {
            ones = 0;
            for (int i = 0; i < 16; ++i) {
                char init[8];
                std::snprintf(init, sizeof init, "INIT_%X", i);
                auto bits = cell.at("parameters").at(init).get<std::string>();
                ones += std::count(bits.begin(), bits.end(), '1');
            }
        }
    long expected = 0;
    std::istringstream words(read_file_text(design.rtl / "sw/prog16.hex"));
    for (std::string word; words >> word;)
        expected += std::popcount(static_cast<unsigned>(std::stoul(word, nullptr, 16)));
    CHECK(ones == expected);
    for (const char* input : {"input:include/inc/memsoc_defs.vh", "input:data/sw/prog16.hex",
                              "input:data/sw/table8.hex"})
        CHECK(run.provenance.count(input) == 1);
}

TEST_CASE("an edit to a data file or an include makes another configuration") {
    Design design;
    auto config = design.completed(design.config());
    auto before = toolchain::configuration_id(config);
    CHECK(toolchain::configuration_id(config) == before);
    write_file(design.rtl / "notes.txt", std::string_view("not an input")); // not read
    CHECK(toolchain::configuration_id(config) == before);
    auto hex = read_file_text(design.rtl / "sw/prog16.hex");
    write_file(design.rtl / "sw/prog16.hex", "ffff\n" + hex.substr(5));
    auto edited = toolchain::configuration_id(config);
    CHECK(edited != before);
    write_file(design.rtl / "inc/memsoc_defs.vh",
               read_file_text(design.rtl / "inc/memsoc_defs.vh") + "// a comment\n");
    CHECK(toolchain::configuration_id(config) != edited);
}

TEST_CASE("what the description leaves out is an error naming the file, before anything runs") {
    Design design;
    // prog16.hex left out: yosys cannot open the file the string parameter names.
    auto partial = design.config();
    partial["data_files"] = {"sw/table8.hex"};
    auto message = error_of([&] { toolchain::check_design(design.completed(partial)); });
    CHECK_THAT(message, Catch::Contains("data_files") && Catch::Contains("ERROR:") &&
                            Catch::Contains("sw/prog16.hex"));
    // The build itself fails with yosys's whole ERROR line, not its first line.
    observation::Context context;
    context.work_root = design.dir / "work";
    auto run = toolchain::run_build(design.completed(partial), 0, context);
    CHECK(run.status == db::kStatusFailed);
    CHECK_THAT(run.message, Catch::Contains("ERROR: Can not open file `sw/prog16.hex`"));

    // No include_dirs: the message names the including file and line and where it looked.
    partial = design.config();
    partial.erase("include_dirs");
    message = error_of([&] { toolchain::check_design(design.completed(partial)); });
    CHECK_THAT(message, Catch::Contains("rtl/memsoc_top.v:5") &&
                            Catch::Contains("memsoc_defs.vh") && Catch::Contains("include_dirs"));

    // A $readmemh of a literal name that data_files does not list: its file and line.
    write_file(design.rtl / "rtl/memsoc_ram.v",
               read_file_text(design.rtl / "rtl/memsoc_ram.v") +
                   "module extra_rom (output wire q);\n  reg m [0:1];\n"
                   "  initial $readmemh(\"sw/secret.hex\", m);\n  assign q = m[0];\nendmodule\n");
    message = error_of([&] { toolchain::configuration_id(design.completed(design.config())); });
    CHECK_THAT(message, Catch::Contains("memsoc_ram.v:33") && Catch::Contains("sw/secret.hex") &&
                            Catch::Contains("data_files"));
}

TEST_CASE("bad design keys are refused with the key named") {
    Design design;
    auto refused = [&](const std::string& key, nlohmann::json value) {
        auto partial = design.config();
        partial[key] = std::move(value);
        return error_of([&] { design.completed(partial); });
    };
    CHECK_THAT(refused("include_dirs", {"../outside"}),
               Catch::Contains("include_dirs") && Catch::Contains("leaves rtl_dir"));
    CHECK_THAT(refused("data_files", {"/etc/passwd"}),
               Catch::Contains("data_files") && Catch::Contains("absolute"));
    CHECK_THAT(refused("data_files", {"synth.ys"}),
               Catch::Contains("data_files") && Catch::Contains("build's own names"));
    CHECK_THAT(refused("parameters", {{"memfile", "a\"; shell x"}}),
               Catch::Contains("parameters") && Catch::Contains("memfile"));
    CHECK_THAT(refused("defines", {{"X", 1.5}}), Catch::Contains("defines"));
    // A folder or file that is not there: named with its key.
    auto partial = design.config();
    partial["data_files"] = {"sw/none.hex"};
    CHECK_THAT(error_of([&] { toolchain::configuration_id(design.completed(partial)); }),
               Catch::Contains("data_files") && Catch::Contains("sw/none.hex"));
}
