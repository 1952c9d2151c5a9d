// Distances against the baseline (issue 26) on hand-made stores with planted distances: a study
// whose outputs are far from the baseline's, one as far as the seed study's, and the figures'
// intervals (two-sample and joint bootstrap) around the planted values.
#include "tests/analysis/planted_distances.h"
#include "tests/fresh_dir.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

using namespace detlab;
using namespace detlab::analysis;
using namespace detlab::testing;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    return detlab::test::fresh_dir("analysis-distance-effects", name);
}

const ComparisonRow& row_of(const std::vector<ComparisonRow>& rows, const std::string& study) {
    for (const auto& r : rows)
        if (r.study == study)
            return r;
    FAIL("no row " << study);
    throw std::logic_error("unreachable");
}

void check_holds(const Estimate& e, double planted) {
    INFO("planted " << planted);
    REQUIRE(e.value);
    REQUIRE(e.ci);
    INFO("estimate " << *e.value << " [" << e.ci->low << ", " << e.ci->high << "]");
    CHECK(e.ci->low <= *e.value);
    CHECK(e.ci->high >= *e.value);
    CHECK(e.ci->low < planted);
    CHECK(e.ci->high > planted);
}

double normal(DeterministicRng& rng) {
    double u = 1 - rng.uniform(), v = rng.uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
}

} // namespace

TEST_CASE("parallel refinement planted further from the baseline than a seed: the difference "
          "and its interval recover it, a null study's interval holds 0") {
    auto dir = fresh_dir("planted");
    db::Store store(dir / "detlab.db");
    constexpr int kRuns = 12; // above kMinBootstrapRuns on every side
    constexpr double kNear = 0.1, kFar = 0.3;
    const Bytes reference = reference_bits();
    DeterministicRng rng(2026);
    for (int r = 0; r < kRuns; ++r) {
        store.record_run(planted_build("baseline", "repeat", r, perturbed(reference, kNear, rng)));
        store.record_run(planted_build("seed", "seed", r, perturbed(reference, kNear, rng)));
        store.record_run(
            planted_build("file_order", "file_order", r, perturbed(reference, kNear, rng)));
        store.record_run(
            planted_build("parallel_refine", "repeat", r, perturbed(reference, kFar, rng)));
    }
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& far = row_of(rows, "parallel_refine");
    const auto& seed = row_of(rows, "seed");
    const auto& null = row_of(rows, "file_order");
    CHECK(far.source == Source::parallel);
    CHECK(far.baseline_pairs == kRuns * kRuns);
    CHECK(far.distance_from_baseline.n == kRuns);
    check_holds(far.distance_from_baseline, unrelated_share(kFar, kNear));
    check_holds(seed.distance_from_baseline, unrelated_share(kNear, kNear));
    check_holds(null.distance_from_baseline, unrelated_share(kNear, kNear));
    // The question of the issue: further from the baseline than a seed, by the planted amount.
    double planted = unrelated_share(kFar, kNear) - unrelated_share(kNear, kNear);
    check_holds(far.distance_vs_seed, planted);
    CHECK(far.distance_vs_seed.ci->low > 0);
    check_holds(null.distance_vs_seed, 0);
    CHECK_FALSE(seed.distance_vs_seed.value);
    CHECK(seed.distance_vs_seed.note == "the seed study itself");
    // The baseline is what the others are held to, not a study against itself.
    CHECK_FALSE(row_of(rows, "baseline").distance_from_baseline.value);
    CHECK_FALSE(far.disagreement_from_baseline.value); // a toolchain row has no predictions

    auto csv = format_table(rows, Format::csv);
    CHECK_THAT(csv, Catch::Contains("distance_from_baseline,distance_from_baseline_low,"
                                    "distance_from_baseline_high,distance_from_baseline_n"));
    CHECK_THAT(csv, Catch::Contains("distance_vs_seed_low"));
    CHECK_THAT(csv, Catch::Contains(",baseline_pairs,"));
    auto json = nlohmann::json::parse(format_table(rows, Format::json));
    bool found = false;
    for (const auto& row : json)
        if (row["study"] == "parallel_refine") {
            found = true;
            CHECK(row["baseline_pairs"] == kRuns * kRuns);
            CHECK(row["distance_vs_seed"]["value"].get<double>() ==
                  Approx(*far.distance_vs_seed.value));
            CHECK(row["distance_vs_seed"]["ci95"].size() == 2);
        }
    CHECK(found);
    auto text = format_effects(rows);
    CHECK_THAT(text, Catch::Contains("planted / parallel_refine (parallel, "));
    CHECK_THAT(text, Catch::Contains("12 baseline runs, 144 pairs: bits 0.68"));
    CHECK_THAT(text, Catch::Contains("n=12, vs the seed study: +0.32 ["));
}

TEST_CASE("few runs give a distance from the baseline without an interval, and no seed study is "
          "said, not 0") {
    auto dir = fresh_dir("few");
    db::Store store(dir / "detlab.db");
    const Bytes reference = reference_bits();
    DeterministicRng rng(5);
    for (int r = 0; r < 3; ++r) {
        store.record_run(planted_build("baseline", "repeat", r, perturbed(reference, 0.1, rng)));
        store.record_run(
            planted_build("file_order", "file_order", r, perturbed(reference, 0.1, rng)));
    }
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& row = row_of(rows, "file_order");
    REQUIRE(row.distance_from_baseline.value);
    CHECK(*row.distance_from_baseline.value == Approx(unrelated_share(0.1, 0.1)).margin(0.02));
    CHECK_FALSE(row.distance_from_baseline.ci);
    CHECK_THAT(row.distance_from_baseline.note,
               Catch::Contains("n=3 and 3 baseline runs: too few for a bootstrap interval"));
    CHECK(row.baseline_pairs == 9);
    CHECK_FALSE(row.distance_vs_seed.value);
    CHECK(row.distance_vs_seed.note == "no seed study");
    CHECK_THAT(format_effects(rows),
               Catch::Contains("n=3 and 3 baseline runs: too few for a bootstrap interval (needs "
                               "10 on each side, or 10 study runs against 2 or more byte-identical "
                               "baseline runs)) n=3, vs the seed study: no seed study"));
}

TEST_CASE("identical outputs are distance 0 from the baseline, said without an interval") {
    auto dir = fresh_dir("identical");
    db::Store store(dir / "detlab.db");
    const Bytes reference = reference_bits();
    for (int r = 0; r < 10; ++r) {
        store.record_run(planted_build("baseline", "repeat", r, reference));
        store.record_run(planted_build("seed", "seed", r, reference));
    }
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& seed = row_of(rows, "seed");
    REQUIRE(seed.distance_from_baseline.value);
    CHECK(*seed.distance_from_baseline.value == 0);
    CHECK_FALSE(seed.distance_from_baseline.ci);
    CHECK(seed.distance_from_baseline.note == "identical to the baseline's outputs");
}

TEST_CASE("cross means: the joint bootstrap shares the baseline, large matrices take the "
          "U-statistic's variance") {
    // m_ab = row effect + column effect + noise, all N(0, 1): the mean's standard error is
    // sqrt(1/n_a + 1/n_b (+ 1/(n_a n_b))).
    DeterministicRng rng(3);
    auto matrix = [&](std::size_t n_a, const std::vector<double>& columns, double shift) {
        std::vector<double> m(n_a * columns.size());
        for (std::size_t a = 0; a < n_a; ++a) {
            double row = normal(rng);
            for (std::size_t b = 0; b < columns.size(); ++b)
                m[a * columns.size() + b] = shift + row + columns[b] + normal(rng);
        }
        return m;
    };
    auto column_effects = [&](std::size_t n) {
        std::vector<double> c(n);
        for (auto& v : c)
            v = normal(rng);
        return c;
    };
    {
        std::vector<double> columns = column_effects(40);
        auto first = matrix(40, columns, 2.0), second = matrix(40, columns, 0.0);
        CrossMean one = cross_mean(first, 40, 40);
        REQUIRE(one.ci);
        CHECK(one.method == "bootstrap");
        CHECK(one.pairs == 1600);
        CHECK(one.ci->low < 2.0);
        CHECK(one.ci->high > 2.0);
        // Both studies see the same baseline runs: their column effects cancel in the
        // difference, so its interval is narrower than either mean's.
        CrossMean d = cross_mean_difference(first, 40, second, 40, 40);
        REQUIRE(d.ci);
        CHECK(d.ci->low < 2.0);
        CHECK(d.ci->high > 2.0);
        CHECK(d.ci->high - d.ci->low < one.ci->high - one.ci->low);
        double se = std::sqrt(2.0 / 40); // two rows' effects; the columns' cancel
        CHECK((d.ci->high - d.ci->low) / 2 == Approx(1.96 * se).epsilon(0.35));
    }
    {
        std::vector<double> columns = column_effects(320);
        auto big = matrix(400, columns, 1.0);
        CrossMean m = cross_mean(big, 400, 320);
        REQUIRE(m.ci);
        CHECK(m.method == "U-statistic");
        double se = std::sqrt(1.0 / 400 + 1.0 / 320);
        CHECK((m.ci->high - m.ci->low) / 2 == Approx(1.96 * se).epsilon(0.2));
    }
    {
        // Every column the same (a deterministic baseline): the baseline side resamples to the
        // same figure, so 10 study runs suffice; one baseline run proves nothing, so no interval.
        std::vector<double> rows(10), fixed;
        for (auto& v : rows)
            v = 1.0 + 0.1 * normal(rng);
        for (double v : rows)
            fixed.insert(fixed.end(), 3, v);
        CrossMean m = cross_mean(fixed, 10, 3);
        REQUIRE(m.ci);
        CHECK(m.b_fixed);
        CHECK(m.method == "one-sample bootstrap");
        CHECK(m.ci->low < m.mean);
        CHECK(m.ci->high > m.mean);
        CrossMean alone = cross_mean(rows, 10, 1);
        CHECK_FALSE(alone.b_fixed);
        CHECK_FALSE(alone.ci);
        // The difference: both matrices' columns fixed, 10 runs in each study.
        std::vector<double> shifted(fixed);
        for (auto& v : shifted)
            v += 0.5;
        CrossMean d = cross_mean_difference(shifted, 10, fixed, 10, 3);
        REQUIRE(d.ci);
        CHECK(d.b_fixed);
        CHECK(d.mean == Approx(0.5));
        CHECK(d.ci->low < 0.5);
        CHECK(d.ci->high > 0.5);
        // One column differing in one place: the baseline is not fixed, 3 runs are too few.
        fixed[1] += 1e-9;
        CHECK_FALSE(cross_mean(fixed, 10, 3).ci);
        CHECK_FALSE(cross_mean_difference(shifted, 10, fixed, 10, 3).ci);
    }
    // Below kMinBootstrapRuns on a side: the mean without an interval.
    std::vector<double> small(9 * 20, 0.5);
    small[3] = 0.7;
    CrossMean few = cross_mean(small, 9, 20);
    CHECK(few.mean == Approx((0.5 * 179 + 0.7) / 180));
    CHECK_FALSE(few.ci);
}

TEST_CASE("training: prediction disagreement from the baseline's models, and against the init "
          "seed study") {
    auto dir = fresh_dir("training");
    db::Store store(dir / "detlab.db");
    store.record_run(planted_training("baseline", "repeat", 0, {0, 1, 1, 0}));
    store.record_run(planted_training("baseline", "repeat", 1, {0, 1, 1, 1}));
    store.record_run(planted_training("init", "init_seed", 2, {1, 1, 1, 0}));
    store.record_run(planted_training("init", "init_seed", 3, {0, 0, 1, 0}));
    store.record_run(planted_training("flip", "bit_flip", 4, {0, 1, 1, 0}));
    auto rows = comparison_rows(analyse(store, std::nullopt));
    // Against each baseline model: init 1/4 and 2/4, then 1/4 and 2/4; flip 0 and 1/4.
    const auto& init = row_of(rows, "init");
    REQUIRE(init.disagreement_from_baseline.value);
    CHECK(*init.disagreement_from_baseline.value == Approx(0.375));
    CHECK(init.disagreement_vs_seed.note == "the seed study itself");
    const auto& flip = row_of(rows, "flip");
    CHECK(flip.source == Source::one_bit_change);
    REQUIRE(flip.disagreement_from_baseline.value);
    CHECK(*flip.disagreement_from_baseline.value == Approx(0.125));
    CHECK(flip.baseline_pairs == 2);
    REQUIRE(flip.disagreement_vs_seed.value);
    CHECK(*flip.disagreement_vs_seed.value == Approx(-0.25));
    CHECK_FALSE(flip.disagreement_vs_seed.ci);
    CHECK_THAT(flip.disagreement_vs_seed.note,
               Catch::Contains("n=1, seed study 2 and 2 baseline runs: too few"));
    REQUIRE(flip.distance_from_baseline.value); // the weights' bits, on the common scale
    CHECK_THAT(format_effects(rows), Catch::Contains("predictions differ 12.5% ("));
    CHECK_THAT(format_effects(rows), Catch::Contains("vs the seed study: -25 pp ("));
}

TEST_CASE("a deterministic baseline: 3 byte-identical runs and 10 study runs give an interval "
          "that covers the planted distance, and the difference from the seed study's") {
    auto dir = fresh_dir("deterministic");
    db::Store store(dir / "detlab.db");
    constexpr double kSeedFlip = 0.1, kFarFlip = 0.3;
    const Bytes reference = reference_bits();
    DeterministicRng rng(38);
    for (int r = 0; r < 3; ++r)
        store.record_run(planted_build("baseline", "repeat", r, reference));
    for (int r = 0; r < 10; ++r) {
        store.record_run(planted_build("seed", "seed", r, perturbed(reference, kSeedFlip, rng)));
        store.record_run(
            planted_build("parallel_refine", "repeat", r, perturbed(reference, kFarFlip, rng)));
    }
    for (int r = 0; r < 9; ++r)
        store.record_run(
            planted_build("file_order", "file_order", r, perturbed(reference, kSeedFlip, rng)));
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& seed = row_of(rows, "seed");
    const auto& far = row_of(rows, "parallel_refine");
    CHECK(seed.baseline_identical);
    CHECK(seed.baseline_runs == 3);
    CHECK(seed.distance_from_baseline.n == 10);
    // Against the reference itself: a share q of the bits differ, 2q of the unrelated distance.
    check_holds(seed.distance_from_baseline, unrelated_share(kSeedFlip, 0));
    check_holds(far.distance_from_baseline, unrelated_share(kFarFlip, 0));
    CHECK(seed.distance_from_baseline.note ==
          "baseline fixed (its 3 runs' outputs are byte-identical): bootstrap over the study's "
          "runs alone");
    double planted = unrelated_share(kFarFlip, 0) - unrelated_share(kSeedFlip, 0);
    check_holds(far.distance_vs_seed, planted);
    CHECK_THAT(far.distance_vs_seed.note, Catch::Contains("over the studies' runs alone"));
    // Nine study runs are too few even against a fixed baseline, and the note says what would do.
    const auto& few = row_of(rows, "file_order");
    REQUIRE(few.distance_from_baseline.value);
    CHECK_FALSE(few.distance_from_baseline.ci);
    CHECK(few.distance_from_baseline.note ==
          "n=9 against 3 baseline runs whose outputs are byte-identical: too few for a bootstrap "
          "interval (needs 10 study runs)");
    CHECK_FALSE(few.distance_vs_seed.ci);
    CHECK_THAT(few.distance_vs_seed.note, Catch::Contains("(needs 10 runs in each study)"));
    auto text = format_effects(rows);
    CHECK_THAT(text, Catch::Contains("A deterministic baseline (every run's output byte-identical) "
                                     "is fixed"));
    CHECK_THAT(text, Catch::Contains("3 byte-identical baseline runs, 30 pairs: bits "));
}

TEST_CASE("baseline runs that differ and are fewer than 10 give no interval, even with 10 study "
          "runs") {
    auto dir = fresh_dir("differing-baseline");
    db::Store store(dir / "detlab.db");
    const Bytes reference = reference_bits();
    DeterministicRng rng(39);
    for (int r = 0; r < 3; ++r)
        store.record_run(planted_build("baseline", "repeat", r, perturbed(reference, 0.1, rng)));
    for (int r = 0; r < 10; ++r)
        store.record_run(planted_build("seed", "seed", r, perturbed(reference, 0.1, rng)));
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& seed = row_of(rows, "seed");
    CHECK_FALSE(seed.baseline_identical);
    REQUIRE(seed.distance_from_baseline.value);
    CHECK(*seed.distance_from_baseline.value == Approx(unrelated_share(0.1, 0.1)).margin(0.02));
    CHECK_FALSE(seed.distance_from_baseline.ci);
    CHECK_THAT(seed.distance_from_baseline.note,
               Catch::Contains("n=10 and 3 baseline runs: too few for a bootstrap interval "
                               "(needs 10 on each side"));
}

TEST_CASE("a deterministic training baseline: prediction disagreement with an interval at 10 "
          "init seeds") {
    auto dir = fresh_dir("deterministic-training");
    db::Store store(dir / "detlab.db");
    for (int r = 0; r < 3; ++r) // one model, trained three times: the same weights and logits
        store.record_run(planted_training("baseline", "repeat", r, {0, 1, 1, 0}, 0.25f));
    // Seeds 10..19: every other model predicts the last input differently (1/4 of the inputs).
    for (int r = 10; r < 20; ++r)
        store.record_run(planted_training("init", "init_seed", r, {0, 1, 1, r % 2}));
    auto rows = comparison_rows(analyse(store, std::nullopt));
    const auto& init = row_of(rows, "init");
    CHECK(init.baseline_identical);
    REQUIRE(init.disagreement_from_baseline.value);
    CHECK(*init.disagreement_from_baseline.value == Approx(0.125));
    check_holds(init.disagreement_from_baseline, 0.125);
    CHECK(init.disagreement_from_baseline.n == 10);
}
