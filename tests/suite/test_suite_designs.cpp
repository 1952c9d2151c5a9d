// The design suite's own checks with the real tools (label tools): every design's testbench
// passes under iverilog against its golden reference, and every design builds on an iCE40 HX1K
// (one seed) with its utilisation recorded and its bitstream checked, not `not_checked`, against
// its own synthesis by the equivalence check (cpu8's ROM once made it refused: a write clock
// tied to a constant LUT read as a second clock).
#include "db/store.h"
#include "harness/equiv/equiv.h"
#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <catch2/catch.hpp>
#include <sstream>

using namespace detlab;

namespace {

struct Design {
    std::string dir, top, testbench;
    nlohmann::json parameters;
};

const std::vector<Design>& designs() {
    static const std::vector<Design> list{
        {"designs/crc32", "crc32_top", "tb/crc32_tb.v", {{"LANES", 4}, {"WORDS", 64}}},
        {"designs/uart_fifo", "uart_fifo_top", "tb/uart_fifo_tb.v", nlohmann::json::object()},
        {"designs/cpu8", "cpu8_top", "tb/cpu8_tb.v", nlohmann::json::object()},
    };
    return list;
}

std::vector<std::string> listed_sources(const std::filesystem::path& dir) {
    std::vector<std::string> files;
    std::istringstream lines(read_file_text(dir / "sources.txt"));
    std::string line;
    while (std::getline(lines, line)) {
        auto end = line.find('#');
        std::istringstream words(line.substr(0, end));
        std::string name;
        if (words >> name)
            files.push_back((dir / name).string());
    }
    return files;
}

} // namespace

TEST_CASE("every suite design passes its testbench against its golden reference") {
    auto scratch = make_temp_dir("suite-tb", DETLAB_TEST_TMP);
    for (const auto& design : designs()) {
        auto dir = source_root() / design.dir;
        process::Spec compile;
        compile.argv = {"iverilog", "-g2005", "-o", (scratch / design.top).string(),
                        (dir / design.testbench).string()};
        for (const auto& file : listed_sources(dir))
            compile.argv.push_back(file);
        compile.timeout = std::chrono::seconds(120);
        auto built = process::run(compile);
        INFO(design.dir << ": " << built.out << built.err);
        REQUIRE(built.ok());
        process::Spec sim;
        sim.argv = {"vvp", "-n", (scratch / design.top).string()};
        sim.timeout = std::chrono::seconds(300);
        auto ran = process::run(sim);
        INFO(ran.out << ran.err);
        REQUIRE(ran.ok());
        CHECK_THAT(ran.out, Catch::StartsWith("PASS"));
        CHECK(ran.out.find("FAIL") == std::string::npos);
    }
    std::filesystem::remove_all(scratch);
}

TEST_CASE("every suite design builds on an HX1K with its logic utilisation and is checked") {
    auto scratch = make_temp_dir("suite-build", DETLAB_TEST_TMP);
    observation::Context context;
    context.work_root = scratch;
    for (const auto& design : designs()) {
        nlohmann::json config{{"rtl_dir", (source_root() / design.dir).string()},
                              {"top", design.top},
                              {"parameters", design.parameters},
                              {"device", "hx1k"}};
        auto run = toolchain::run_build(config, 0, context);
        INFO(design.dir << ": " << run.message);
        REQUIRE(run.status == db::kStatusDone);
        auto pct = run.metric("logic_utilisation_pct");
        REQUIRE(pct);
        CHECK(*pct > 5);
        CHECK(*pct < 95);
        CHECK(run.find_artifact(db::artifact::kBitstream));
        equiv::CheckOptions options;
        options.vectors = 4;
        options.cycles = 200;
        options.work_dir = scratch / "equiv";
        equiv::check_toolchain_run(run, config, options);
        auto verdict = equiv::run_verdict(run);
        REQUIRE(verdict);
        INFO(equiv::describe(*verdict));
        CHECK(verdict->verdict == equiv::Verdict::no_difference);
        CHECK(verdict->vectors == 4);
    }
    std::filesystem::remove_all(scratch);
}
