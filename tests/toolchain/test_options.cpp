// nextpnr's --help is read before every build to refuse a factor value a version lacks. On a
// loaded machine the probe can be cut short at any byte; the parser must take whatever arrives
// (fewer options, never an exception). Issue 30: a cut help ending in a line of spaces threw
// std::out_of_range out of run_build.
#include "harness/toolchain/toolchain.h"
#include "harness/util/util.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace detlab;

namespace {
std::string real_help() {
    return read_file_text(std::filesystem::path(DETLAB_SOURCE_ROOT) / "tests" / "toolchain" /
                          "fixtures" / "nextpnr-ice40-0.4-help.txt");
}
} // namespace

TEST_CASE("nextpnr 0.4's help lists its options, placers and routers", "[options]") {
    auto help = toolchain::parse_nextpnr_help(real_help());
    CHECK(help.options.contains("--threads"));
    CHECK(help.options.contains("--parallel-refine"));
    CHECK(help.options.contains("--hx1k"));
    CHECK(help.placers == std::vector<std::string>{"sa", "heap"});
    CHECK(help.routers == std::vector<std::string>{"router1", "router2"});
    // A description wrapped over two lines is joined.
    CHECK(help.options.at("--router").find("router1, router2") != std::string::npos);
}

TEST_CASE("a help cut at any byte parses without an exception", "[options]") {
    const std::string full = real_help();
    std::size_t options_seen = 0;
    for (std::size_t cut = 0; cut <= full.size(); ++cut) {
        toolchain::NextpnrHelp help;
        REQUIRE_NOTHROW(help = toolchain::parse_nextpnr_help(full.substr(0, cut)));
        // Cut at a line's end, a longer prefix never loses an option (mid-line, a partial name
        // such as "--debug" of "--debug-placer" may stand for one).
        if (cut > 0 && full[cut - 1] == '\n') {
            CHECK(help.options.size() >= options_seen);
            options_seen = help.options.size();
        }
    }
    CHECK(options_seen == toolchain::parse_nextpnr_help(full).options.size());
    CHECK(options_seen > 50);
}

TEST_CASE("blank or space-only or garbage help texts give no options and no exception",
          "[options]") {
    // The case of issue 30: an option line, then a continuation cut to spaces.
    auto cut = toolchain::parse_nextpnr_help("  --placer arg   placer to use\n            ");
    CHECK(cut.options.at("--placer") == " arg   placer to use");
    CHECK(cut.placers.empty());
    for (std::string text :
         {std::string(), std::string("\n\n"), std::string(4096, ' '),
          std::string("\0\xff\x01  --\n    \n", 10), std::string("  --x\n    \n    y\n")}) {
        REQUIRE_NOTHROW(toolchain::parse_nextpnr_help(text));
    }
    // A blank line ends the option: what follows is not its description.
    CHECK(toolchain::parse_nextpnr_help("  --x\n    \n    y\n").options.at("--x").empty());
}
