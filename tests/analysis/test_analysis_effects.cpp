// Effects against the baseline, factorial grids and machines kept apart, on hand-made stores
// with known (planted) answers.
#include "analysis/analysis.h"
#include "tests/fresh_dir.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>

using namespace detlab;
using namespace detlab::analysis;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    return detlab::test::fresh_dir("analysis-effects", name);
}

// A toolchain observation with only what the effects read: Fmax, study params, machine.
db::RunResult build(const std::string& study, const std::string& factor,
                    const nlohmann::json& value, int repeat, double fmax,
                    const std::string& host = "lab-pc", const std::string& yosys = "Yosys 0.52") {
    db::RunResult r;
    r.config_json = nlohmann::json{{"study", study}, {"value", value}}.dump();
    r.repeat = repeat;
    r.id = db::run_id("toolchain", r.config_json + host + yosys, repeat);
    r.experiment = "planted";
    r.kind = "toolchain";
    r.host = host;
    r.add_param("study", study);
    r.add_param("factor", factor);
    r.add_param("factor_value", value.dump());
    r.add_metric("fmax_mhz", fmax);
    r.provenance = {{"cpu.model", "Test CPU"}, {"tool.yosys", yosys}};
    return r;
}

// Standard normal draws from the project's one random source (Box-Muller).
double normal(DeterministicRng& rng) {
    double u = 1 - rng.uniform(), v = rng.uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
}

const ComparisonRow& row_of(const std::vector<ComparisonRow>& rows, const std::string& study) {
    for (const auto& r : rows)
        if (r.study == study)
            return r;
    FAIL("no row " << study);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("Student's t quantiles and Welch's interval match published values") {
    // Tables of Student's t (two-sided 95%).
    CHECK(student_t_quantile(0.975, 1) == Approx(12.7062047).epsilon(1e-7));
    CHECK(student_t_quantile(0.975, 4) == Approx(2.7764451).epsilon(1e-7));
    CHECK(student_t_quantile(0.975, 10) == Approx(2.2281389).epsilon(1e-7));
    CHECK(student_t_quantile(0.025, 10) == Approx(-2.2281389).epsilon(1e-7));
    CHECK(student_t_cdf(0, 3) == Approx(0.5));
    // Equal n and variances: Welch's df is 2(n - 1) = 8, se = 1.
    std::vector<double> a{1, 2, 3, 4, 5}, b{3, 4, 5, 6, 7};
    auto d = welch_difference(a, b);
    CHECK(d.difference == Approx(-2));
    CHECK(d.dof == Approx(8));
    REQUIRE(d.ci);
    CHECK(d.ci->low == Approx(-2 - 2.3060041));
    CHECK(d.ci->high == Approx(-2 + 2.3060041));
    // Unequal variances: Satterthwaite's df lies between the smaller group's and the sum's.
    std::vector<double> wide{2, 4, 6, 8, 10, 12};
    auto u = welch_difference(a, wide);
    CHECK(u.difference == Approx(-4));
    CHECK(u.dof > 4);
    CHECK(u.dof < 9);
    REQUIRE(u.ci);
    CHECK(u.ci->high < 0);
    // One run against repeats: the repeats' spread, df = n - 1.
    std::vector<double> one{10};
    auto p = welch_difference(one, a);
    CHECK(p.difference == Approx(7));
    CHECK(p.dof == Approx(4));
    REQUIRE(p.ci);
    CHECK(p.ci->high - p.ci->low ==
          Approx(2 * 2.7764451 * std::sqrt(2.5) * std::sqrt(1 + 1.0 / 5)).epsilon(1e-6));
    auto none = welch_difference(one, one);
    CHECK_FALSE(none.ci);
}

TEST_CASE("groups without variation get a difference but no zero-width interval") {
    // A deterministic Fmax: every run of both groups equal. Welch's t is 0/0; the difference
    // is what those runs did, and no interval claims it is certain.
    std::vector<double> study(5, 90.0), base(4, 100.0);
    auto d = welch_difference(study, base);
    CHECK(d.difference == Approx(-10));
    CHECK_FALSE(d.ci);
    CHECK(d.note == "no variation in either group (n=5 and n=4): interval not defined");
    // One run against a constant baseline: no spread to assume for it.
    std::vector<double> one{90.0};
    auto p = welch_difference(one, base);
    CHECK(p.difference == Approx(-10));
    CHECK_FALSE(p.ci);
    CHECK(p.note == "one run, and no variation in the other group (n=4): interval not defined");
    // The table says why its effect has no interval.
    ComparisonRow row;
    row.domain = "toolchain";
    row.study = "constant";
    row.effect.n = 5;
    row.effect.value = d.difference;
    row.effect.note = d.note;
    row.effect_rank = 1;
    CHECK_THAT(format_table({row}, Format::text),
               Catch::Contains("-10 MHz (no variation in either group (n=5 and n=4): interval not "
                               "defined) #1"));
    // One varying side is enough for Welch's interval (the constant side adds no variance).
    std::vector<double> varying{89, 90, 91, 92, 88};
    auto v = welch_difference(varying, base);
    REQUIRE(v.ci);
    CHECK(v.ci->low < v.difference);
    CHECK(v.ci->high > v.difference);
    CHECK(v.dof == Approx(4));
}

TEST_CASE("a one-value study is compared with the baseline, and sources are ranked") {
    auto dir = fresh_dir("baseline");
    db::Store store(dir / "detlab.db");
    store.record_run(build("baseline", "repeat", 0, 0, 100));
    store.record_run(build("baseline", "repeat", 1, 1, 101));
    store.record_run(build("baseline", "repeat", 2, 2, 99));
    store.record_run(build("file_order", "file_order", "reversed", 0, 90));
    store.record_run(build("seed", "seed", 1, 0, 100));
    store.record_run(build("seed", "seed", 2, 0, 104));
    store.record_run(build("seed", "seed", 3, 0, 102));
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& order = row_of(rows, "file_order");
    REQUIRE(order.effect.value);
    CHECK(*order.effect.value == Approx(-10));
    REQUIRE(order.effect.ci);
    CHECK(order.effect.ci->low < -10);
    CHECK(order.effect.ci->high > -10);
    CHECK(order.baseline_runs == 3);
    for (const auto& w : order.warnings)
        CHECK(w.find("fewer than 2") == std::string::npos);
    const auto& seed = row_of(rows, "seed");
    REQUIRE(seed.effect.value);
    CHECK(*seed.effect.value == Approx(2));
    CHECK(order.effect_rank == 1);
    CHECK(seed.effect_rank == 2);
    CHECK(row_of(rows, "baseline").effect_rank == 0);
    auto csv = format_table(rows, Format::csv);
    CHECK(csv.find("effect_vs_baseline,effect_vs_baseline_low,effect_vs_baseline_high") !=
          std::string::npos);
    CHECK(format_effects(rows).find("1. planted / file_order") != std::string::npos);
}

TEST_CASE("a grid with planted effects: the shift is recovered, the null factor's interval "
          "holds 0") {
    auto dir = fresh_dir("grid");
    db::Store store(dir / "detlab.db");
    constexpr double kShift = 5; // MHz, what factor `tools` does
    DeterministicRng rng(7);
    int repeat = 0;
    for (const char* tools : {"debian12", "debian13"})
        for (int seed : {1, 2, 3})
            for (int r = 0; r < 4; ++r) {
                double fmax = 80 + (std::string(tools) == "debian13" ? kShift : 0) + normal(rng);
                store.record_run(build("grid", "tools,seed", {{"tools", tools}, {"seed", seed}},
                                       repeat++, fmax));
            }
    auto summaries = analyse(store, std::nullopt);
    auto grids = factorial_analyses(summaries);
    REQUIRE(grids.size() == 1);
    const auto& g = grids.front();
    CHECK(g.runs == 24);
    CHECK(g.cells == 6);
    CHECK(g.balanced);
    REQUIRE(g.terms.size() == 3); // tools, seed, tools x seed
    const auto& tools = g.terms[0];
    CHECK(tools.term == "tools");
    REQUIRE(tools.level_effects.size() == 1);
    const auto& shift = tools.level_effects[0].second;
    REQUIRE(shift.ci);
    CHECK(shift.ci->low < kShift);
    CHECK(shift.ci->high > kShift);
    CHECK(shift.ci->low > 0);
    CHECK(tools.share > 0.5);
    REQUIRE(tools.p);
    CHECK(*tools.p < 0.001);
    const auto& seed = g.terms[1];
    CHECK(seed.term == "seed");
    REQUIRE(seed.level_effects.size() == 2);
    for (const auto& [level, d] : seed.level_effects) {
        INFO("seed " << level);
        REQUIRE(d.ci);
        CHECK(d.ci->low < 0);
        CHECK(d.ci->high > 0);
    }
    // The shares add up to the whole in a balanced design.
    double shares = g.residual.share;
    for (const auto& t : g.terms)
        shares += t.share;
    CHECK(shares == Approx(1));
    CHECK(g.residual.dof == Approx(24 - 6));
    // Partial eta squared: tools' population value is sigma_tools^2 / (sigma_tools^2 + 1) with
    // sigma_tools^2 = (kShift / 2)^2 (two equal levels at +-2.5 MHz, unit noise), 0.862; its
    // interval lies well above 0 and holds it. Seed does nothing: its interval starts at 0.
    const double planted = (kShift / 2) * (kShift / 2) / ((kShift / 2) * (kShift / 2) + 1);
    REQUIRE(tools.partial_eta_sq.ci);
    CHECK(tools.partial_eta_sq.n == 24);
    CHECK(tools.partial_eta_sq.ci->low > 0.5);
    CHECK(tools.partial_eta_sq.ci->low < planted);
    CHECK(tools.partial_eta_sq.ci->high > planted);
    REQUIRE(seed.partial_eta_sq.ci);
    CHECK(seed.partial_eta_sq.ci->low == 0.0);
    CHECK(seed.partial_eta_sq.ci->high < 0.5);
    // The CSV has one row per factor level with its main effect and variance share.
    auto rows = factorial_rows(grids);
    auto csv = format_table(rows, Format::csv);
    CHECK(csv.find("grid_term,grid_level,variance_share_pct,partial_eta_sq,partial_eta_sq_low,"
                   "partial_eta_sq_high") != std::string::npos);
    CHECK(format_factorial(grids).find("partial eta^2 ") != std::string::npos);
    std::size_t tools_rows = 0;
    for (const auto& r : rows)
        if (r.grid_term == "tools") {
            ++tools_rows;
            REQUIRE(r.effect.value);
            REQUIRE(r.variance_share_pct);
            CHECK(*r.variance_share_pct == Approx(tools.share * 100));
            REQUIRE(r.partial_eta_sq.ci);
            CHECK(r.partial_eta_sq.ci->low == tools.partial_eta_sq.ci->low);
        }
    CHECK(tools_rows == 1);
}

TEST_CASE("a grid whose runs are equal within each cell: partial eta squared 1, said, no NaN") {
    // A deterministic flow: every repeat of a cell gives the same Fmax. Total minus the terms'
    // sums of squares leaves rounding (about 1e-13) for some of these values; it is no residual.
    const double grids_of[][3] = {{80.1, 0.37, 5.13}, {80.1, 1.13, 5.13}, {83.77, 0.91, 5},
                                  {91.3, 1.13, 5.13}, {80.1, 0.0031, 5},  {120.7, 0.37, 0.7}};
    for (const auto& [base, step, shift] : grids_of) {
        INFO("Fmax " << base << " + " << step << " seed + " << shift << " on debian13");
        auto dir = fresh_dir("grid-exact");
        db::Store store(dir / "detlab.db");
        int repeat = 0;
        for (const char* tools : {"debian12", "debian13"})
            for (int seed : {1, 2, 3})
                for (int r = 0; r < 3; ++r)
                    store.record_run(
                        build("grid", "tools,seed", {{"tools", tools}, {"seed", seed}}, repeat++,
                              base + step * seed + (std::string(tools) == "debian13" ? shift : 0)));
        auto grids = factorial_analyses(analyse(store, std::nullopt));
        REQUIRE(grids.size() == 1);
        CHECK(grids[0].residual.sum_squares == 0.0);
        const auto& tools = grids[0].terms[0];
        CHECK_FALSE(tools.f);
        REQUIRE(tools.partial_eta_sq.value);
        CHECK(*tools.partial_eta_sq.value == 1.0);
        CHECK_FALSE(tools.partial_eta_sq.ci);
        CHECK(tools.partial_eta_sq.note.find("residual sum of squares 0") != std::string::npos);
        auto text = format_factorial(grids) + format_table(factorial_rows(grids), Format::csv);
        CHECK(text.find("nan") == std::string::npos);
        CHECK(text.find("inf") == std::string::npos);
    }
}

TEST_CASE("two machines' stores merged: every row names exactly one machine") {
    auto dir = fresh_dir("machines");
    {
        db::Store laptop(dir / "laptop.db");
        db::Store lab(dir / "lab.db");
        for (int s = 1; s <= 3; ++s) {
            // The same configurations on both machines, with outputs to compare across them.
            auto mine = build("seed", "seed", s, 0, 90 + s, "laptop", "Yosys 0.52");
            auto theirs = build("seed", "seed", s, 0, 80 + s, "lab-pc", "Yosys 0.23");
            mine.config_id = theirs.config_id = "config-" + std::to_string(s);
            mine.add_artifact("bitstream.bin", std::string_view("laptop bits"));
            theirs.add_artifact("bitstream.bin", std::string_view("lab-pc bits"));
            laptop.record_run(mine);
            lab.record_run(theirs);
        }
    }
    db::Store merged(dir / "merged.db");
    merged.merge_from(dir / "laptop.db");
    merged.merge_from(dir / "lab.db");
    auto summaries = analyse(merged, std::nullopt);
    auto rows = comparison_rows(summaries);
    REQUIRE(rows.size() == 2);
    std::set<std::string> labels;
    for (const auto& s : summaries) {
        std::set<Machine> machines;
        for (const auto& run : s.group.runs)
            machines.insert(run.machine);
        CHECK(machines.size() == 1);
    }
    for (const auto& r : rows) {
        CHECK(r.runs == 3);
        CHECK(r.warnings.empty());
        labels.insert(r.machine.label());
        // One machine's seeds only: 91..93 or 81..83, never a spread over both.
        REQUIRE(r.quality_raw.value);
        CHECK(*r.quality_raw.value == Approx(1));
    }
    CHECK(labels.size() == 2);
    auto machines = format_machines(compare_machines(merged, std::nullopt), Format::text);
    CHECK(machines.find("versions that differ: yosys Yosys 0.23") != std::string::npos);
}

TEST_CASE("two stores from one host merge as two sessions, a shard into its own store as one") {
    // A teacher's rehearsal and a class run on one lab PC: same host, CPU and tools, the same
    // configurations and repeat indices, different outcomes (Fmax 91..93 and 81..83).
    auto dir = fresh_dir("sessions");
    std::string ids[2];
    const char* names[2] = {"rehearsal", "class"};
    for (int s = 0; s < 2; ++s) {
        db::Store store(dir / (std::string(names[s]) + ".db"));
        ids[s] = store.store_id();
        for (int seed = 1; seed <= 3; ++seed) {
            auto r = build("seed", "seed", seed, 0, (s == 0 ? 90 : 80) + seed);
            r.id = db::run_id("toolchain", r.config_json + names[s], 0); // another observation
            store.record_run(r);
        }
    }
    REQUIRE(ids[0].size() == 16);
    CHECK(ids[0] != ids[1]);
    db::Store merged(dir / "merged.db");
    merged.merge_from(dir / "rehearsal.db");
    merged.merge_from(dir / "class.db");
    auto summaries = analyse(merged, std::nullopt);
    auto rows = comparison_rows(summaries);
    REQUIRE(rows.size() == 2);
    std::set<std::string> sessions, labels;
    for (const auto& s : summaries) {
        std::set<Machine> machines;
        for (const auto& run : s.group.runs)
            machines.insert(run.machine);
        REQUIRE(machines.size() == 1);
        CHECK(machines.begin()->host == "lab-pc");
        sessions.insert(machines.begin()->session);
    }
    CHECK(sessions == std::set<std::string>{ids[0], ids[1]});
    for (const auto& r : rows) {
        CHECK(r.runs == 3);
        CHECK(r.warnings.empty());
        labels.insert(r.machine.label());
        REQUIRE(r.quality_raw.value);
        CHECK(*r.quality_raw.value == Approx(1)); // one session's seeds, never both
    }
    CHECK(labels.size() == 2);

    // A sweep's shard merged into its own store belongs to that store's session.
    {
        db::Store shard(dir / "merged.shard-1.db");
        auto r = build("seed", "seed", 4, 0, 94);
        r.id = db::run_id("toolchain", r.config_json + "shard", 0);
        shard.record_run(r);
        CHECK(shard.store_id() != merged.store_id());
    }
    merged.merge_from(dir / "merged.shard-1.db");
    std::set<std::string> after;
    for (const auto& run : load_runs(merged, std::nullopt))
        after.insert(run.machine.session);
    CHECK(after == std::set<std::string>{ids[0], ids[1], merged.store_id()});
}

TEST_CASE("the jackknife of a pair mean agrees with the bootstrap and takes over for large n") {
    // Pairs that share a run share its offset: the dependence the intervals must account for.
    auto make = [](std::size_t n, std::uint64_t seed) {
        DeterministicRng rng(seed);
        std::vector<double> offset(n);
        for (auto& o : offset)
            o = 0.1 * rng.uniform();
        std::vector<double> m(n * n, 0.0);
        for (std::size_t a = 0; a < n; ++a)
            for (std::size_t b = a + 1; b < n; ++b)
                m[a * n + b] = m[b * n + a] = 0.5 + offset[a] + offset[b] + 0.01 * rng.uniform();
        return m;
    };
    auto m = make(100, 3);
    auto boot = pair_mean(m, 100);
    auto jack = pair_mean_jackknife(m, 100);
    REQUIRE(boot.ci);
    REQUIRE(jack);
    CHECK(jack->low < boot.mean);
    CHECK(jack->high > boot.mean);
    double boot_width = boot.ci->high - boot.ci->low, jack_width = jack->high - jack->low;
    CHECK(jack_width > 0.7 * boot_width);
    CHECK(jack_width < 1.3 * boot_width);
    // The expected value of a pair is 0.5 + 0.1 + 0.005: inside the interval.
    CHECK(jack->low < 0.605);
    CHECK(jack->high > 0.605);
    std::size_t big = kBootstrapMaxRuns + 1;
    auto large = make(big, 4);
    auto over = pair_mean(large, big);
    REQUIRE(over.ci);
    auto direct = pair_mean_jackknife(large, big);
    REQUIRE(direct);
    CHECK(over.ci->low == direct->low);
    CHECK(over.ci->high == direct->high);
    // Not measured pairs are left out of both the mean and the interval.
    large[0 * big + 1] = large[1 * big + 0] = std::numeric_limits<double>::quiet_NaN();
    CHECK(pair_mean_jackknife(large, big).has_value());
}
