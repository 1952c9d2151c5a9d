// The suite's analysis on a hand-filled store (label tools: gnuplot draws the plots): one row per
// design and family with n and intervals that cover at a suite's few seeds, and `detlab report`'s
// "Design suite" section with the table and the plots against utilisation, present only when
// the store holds studies of two or more designs or families.
#include "analysis/analysis.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace detlab;
using namespace detlab::analysis;
namespace fs = std::filesystem;

namespace {

// A minimal iCE40 bitstream: one 16 x 8 CRAM bank whose first byte is `first_byte`.
Bytes tiny_bin(std::uint8_t first_byte) {
    return Bytes{0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E,       0x62, 0x00, 0x0F,
                 0x72, 0x00, 0x08, 0x11, 0x00, 0x01, 0x01, first_byte, 0x5A, 0x5A, 0x5A,
                 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A,       0x5A, 0x5A, 0x5A,
                 0x5A, 0x00, 0x00, 0x22, 0x00, 0x00, 0x01, 0x06,       0x00};
}

struct Build {
    std::string study, top, device, family;
    int seed;
    std::uint8_t cram;
    double fmax, utilisation;
};

db::RunResult build_run(const Build& b) {
    db::RunResult r;
    r.config_json = nlohmann::json{{"seed", b.seed}, {"study", b.study}}.dump();
    r.id = db::run_id("toolchain", r.config_json, 0);
    r.experiment = "suite-handmade";
    r.kind = "toolchain";
    r.host = "testhost";
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"seed", std::to_string(b.seed)},
                                                          {"study", b.study},
                                                          {"factor", "seed"},
                                                          {"factor_value", std::to_string(b.seed)},
                                                          {"top", b.top},
                                                          {"device", b.device},
                                                          {"family", b.family}})
        r.add_param(key, value);
    r.add_artifact("netlist.json", std::string_view("{}"));
    r.add_artifact("bitstream.bin", tiny_bin(b.cram));
    r.add_metric("fmax_mhz", b.fmax);
    r.add_metric("logic_utilisation_pct", b.utilisation);
    return r;
}

// Three seeds of each (design, family): Fmax 100, 110, 120 on every study.
fs::path suite_store(const std::string& name, const std::vector<std::string>& tops,
                     bool with_ecp5 = true) {
    fs::path dir = fs::path(DETLAB_TEST_TMP) / "suite" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    db::Store store(dir / "detlab.db");
    for (const auto& top : tops)
        for (const auto& [device, family, util] :
             {std::tuple<std::string, std::string, double>{"hx1k", "ice40", 40},
              {"lfe5u-25f", "ecp5", 5}})
            for (int seed = 1; seed <= 3 && (with_ecp5 || family == "ice40"); ++seed)
                store.record_run(build_run({top + "-" + family, top, device, family, seed,
                                            static_cast<std::uint8_t>(seed == 3 ? 1 : 0),
                                            90.0 + 10 * seed, util}));
    return dir;
}

} // namespace

TEST_CASE("suite rows: one per design and family, Fmax with Student's t, no bootstrap at n=3") {
    auto dir = suite_store("rows", {"cpu8_top", "crc32_top"});
    db::Store store(dir / "detlab.db");
    auto rows = suite_rows(analyse(store, std::nullopt));
    REQUIRE(rows.size() == 4);
    for (const auto& r : rows) {
        CHECK(r.runs == 3);
        CHECK(r.fmax_mhz.n == 3);
        REQUIRE(r.fmax_mhz.value);
        CHECK(*r.fmax_mhz.value == Approx(110));
        // mean 110, s = 10, t(2, 0.975) = 4.3027: 110 -+ 24.84
        REQUIRE(r.fmax_mhz.ci);
        CHECK(r.fmax_mhz.ci->low == Approx(110 - 4.302653 * 10 / std::sqrt(3.0)).epsilon(1e-4));
        CHECK(r.fmax_mhz.ci->high == Approx(110 + 4.302653 * 10 / std::sqrt(3.0)).epsilon(1e-4));
        REQUIRE(r.fmax_std_mhz.value);
        CHECK(*r.fmax_std_mhz.value == Approx(10));
        // Two of three pairs differ: a mean, but no interval from three runs.
        CHECK(r.hamming_pct.value);
        CHECK_FALSE(r.hamming_pct.ci);
        CHECK(r.hamming_pct.note.find("n<10") != std::string::npos);
        CHECK(r.differ.n == 2);
    }
    CHECK(rows[0].family == "ecp5");
    CHECK(rows[0].design == "cpu8_top");
    CHECK(rows[3].family == "ice40");
    CHECK(rows[3].design == "crc32_top");
    CHECK(*rows[3].utilisation_pct.value == Approx(40));
}

TEST_CASE("the report has the design suite's table and plots when the store holds a suite") {
    auto dir = suite_store("report", {"cpu8_top", "crc32_top"});
    db::Store store(dir / "detlab.db");
    ReportOptions options;
    options.out_dir = dir / "report";
    auto files = write_report(store, options);
    std::string html = read_file_text(files.html);
    auto section = html.find("<h2>Design suite</h2>");
    REQUIRE(section != std::string::npos);
    auto end = html.find("<h2>", section + 1);
    std::string suite = html.substr(section, end - section);
    for (const char* text :
         {"cpu8_top", "crc32_top", "ecp5", "ice40", "lfe5u-25f", "hx1k", "n=3", "Student's t"})
        CHECK(suite.find(text) != std::string::npos);
    // Both plots against utilisation, inline.
    for (const char* title : {"Bit distance between seeds vs logic utilisation",
                              "Fmax spread over seeds vs logic utilisation"}) {
        CHECK(suite.find(std::string("<figcaption>") + title) != std::string::npos);
        bool listed = false;
        for (const auto& plot : files.plots)
            listed = listed || (plot.title == title && fs::file_size(plot.svg) > 0);
        CHECK(listed);
    }
    CHECK(suite.find("data:image/svg+xml;base64,") != std::string::npos);
    std::string csv = read_file_text(options.out_dir / "suite.csv");
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 5); // header and four rows
}

TEST_CASE("one design on one family has no suite section in the report") {
    auto dir = suite_store("single", {"cpu8_top"}, false);
    db::Store store(dir / "detlab.db");
    REQUIRE(suite_rows(analyse(store, std::nullopt)).size() == 1);
    ReportOptions options;
    options.out_dir = dir / "report";
    auto files = write_report(store, options);
    CHECK(read_file_text(files.html).find("Design suite") == std::string::npos);
    CHECK_FALSE(fs::exists(options.out_dir / "suite.csv"));
}
