// Symbolic links in rtl_dir (issue 28): a link that stays inside rtl_dir is followed; one that
// leads outside it (the file's own link or a folder's on its way) is bad input, exit 2, naming
// the file, line, link and target, before anything is written. The identity hashes what is read.
#include "harness/config_keys/config_keys.h"
#include "harness/toolchain/toolchain.h"
#include "tests/sweep/cli_helpers.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

struct Design {
    fs::path base, rtl, outside;
};

// A copy of the test fixture in rtl/, and a folder outside it with a copy of its files.
Design fresh_design(const std::string& name) {
    Design d;
    d.base = fs::path(DETLAB_TEST_TMP) / "rtl-links" / name;
    fs::remove_all(d.base);
    d.rtl = d.base / "rtl";
    d.outside = d.base / "outside";
    fs::create_directories(d.base);
    auto fixture = source_root() / "tests/toolchain/fixtures/mac";
    fs::copy(fixture, d.rtl, fs::copy_options::recursive);
    fs::copy(fixture, d.outside, fs::copy_options::recursive);
    return d;
}

nlohmann::json config_for(const fs::path& rtl) {
    auto config = default_config(toolchain::config_keys());
    config["array"] = 2;
    config["rtl_dir"] = rtl.string();
    return config;
}

std::string refusal(const nlohmann::json& config) {
    try {
        toolchain::configuration_id(config);
    } catch (const InputError& error) {
        return error.what();
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("a link inside rtl_dir is followed and the identity is that of the file it reaches") {
    auto d = fresh_design("inside");
    auto plain = toolchain::configuration_id(config_for(d.rtl));
    fs::create_directories(d.rtl / "lib");
    fs::rename(d.rtl / "mac_lane.v", d.rtl / "lib" / "mac_lane.v");
    fs::create_symlink("lib/mac_lane.v", d.rtl / "mac_lane.v");
    CHECK(toolchain::configuration_id(config_for(d.rtl)) == plain);
    // rtl_dir itself may be a link: the design is what it points at.
    fs::create_directory_symlink(d.outside, d.base / "linked-rtl");
    CHECK(toolchain::configuration_id(config_for(d.base / "linked-rtl")) == plain);
}

TEST_CASE("a link in rtl_dir leading outside it is refused, naming file, line, link and target") {
    auto d = fresh_design("outside");
    auto list = (d.rtl / "sources.txt").string();
    SECTION("a listed file") {
        fs::remove(d.rtl / "mac_lane.v");
        fs::create_symlink(d.outside / "mac_lane.v", d.rtl / "mac_lane.v");
        auto message = refusal(config_for(d.rtl));
        CHECK(message == list + ":1: mac_lane.v: 'mac_lane.v' is a symbolic link to " +
                             (d.outside / "mac_lane.v").string() + " (" +
                             fs::canonical(d.outside / "mac_lane.v").string() +
                             "), outside rtl_dir " + fs::canonical(d.rtl).string() +
                             ": detlab reads a design's files only inside rtl_dir; copy the "
                             "file into it");
    }
    SECTION("a folder on the way, by a relative link") {
        fs::create_directory_symlink("../outside", d.rtl / "lib");
        write_file(d.rtl / "sources.txt", std::string_view("lib/mac_lane.v\ndetlab_top.v\n"));
        fs::remove(d.rtl / "mac_lane.v");
        auto message = refusal(config_for(d.rtl));
        CHECK_THAT(message, Catch::StartsWith(list + ":1: lib/mac_lane.v: 'lib' is a symbolic "
                                                     "link to ../outside ("));
    }
    SECTION("sources.txt itself") {
        fs::remove(d.rtl / "sources.txt");
        fs::create_symlink(d.outside / "sources.txt", d.rtl / "sources.txt");
        CHECK_THAT(refusal(config_for(d.rtl)),
                   Catch::StartsWith(list + ": rtl_dir: 'sources.txt' is a symbolic link to "));
    }
    SECTION("the pin file's folder") {
        fs::remove_all(d.rtl / "pcf");
        fs::create_directory_symlink(d.outside / "pcf", d.rtl / "pcf");
        CHECK_THAT(refusal(config_for(d.rtl)),
                   Catch::StartsWith((d.rtl / "pcf" / "hx1k.pcf").string() +
                                     ": device: 'pcf' is a symbolic link to "));
    }
    SECTION("an included file") {
        write_file(d.outside / "defs.vh", std::string_view("`define LANE_DEFS 1\n"));
        fs::create_symlink(d.outside / "defs.vh", d.rtl / "defs.vh");
        write_file(d.rtl / "mac_lane.v",
                   "`include \"defs.vh\"\n" + read_file_text(d.outside / "mac_lane.v"));
        CHECK_THAT(refusal(config_for(d.rtl)),
                   Catch::StartsWith((d.rtl / "mac_lane.v").string() +
                                     ":1: `include \"defs.vh\": 'defs.vh' is a symbolic link"));
    }
    SECTION("a data file") {
        write_file(d.outside / "prog.hex", std::string_view("00\n"));
        fs::create_symlink(d.outside / "prog.hex", d.rtl / "prog.hex");
        auto config = config_for(d.rtl);
        config["data_files"] = nlohmann::json::array({"prog.hex"});
        CHECK_THAT(refusal(config),
                   Catch::StartsWith("config: data_files: 'prog.hex' is a symbolic link to "));
    }
    // Only read: the files outside are as they were.
    CHECK(read_file_text(d.outside / "mac_lane.v") ==
          read_file_text(source_root() / "tests/toolchain/fixtures/mac/mac_lane.v"));
}

TEST_CASE("detlab synth refuses a link out of rtl_dir with exit 2 and writes nothing", "[cli]") {
    auto d = fresh_design("cli");
    fs::remove(d.rtl / "mac_lane.v");
    fs::create_symlink(d.outside / "mac_lane.v", d.rtl / "mac_lane.v");
    auto result = sweep::testing::run_detlab(
        {"synth", "--array", "2", "--rtl-dir", d.rtl.string(), "--db", "links.db"}, d.base);
    INFO(result.out + result.err);
    CHECK(result.code == 2);
    CHECK(result.err.find((d.rtl / "sources.txt").string() +
                          ":1: mac_lane.v: 'mac_lane.v' is a symbolic link to ") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(d.base / "links.db"));
}
