// The verdict's pre-declared tests for claims 1 to 5 on constructed databases: each claim comes
// out supported, contradicted and undecidable from data built to do so, and claims 4 and 5 say
// which Fmax they read. The margin, claim 6, disagreeing evidence sets, the JSON and the CLI:
// test_analysis_evidence.cpp.
#include "tests/analysis/verdict_world.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace detlab;
using namespace detlab::analysis;
using namespace detlab::testing;

TEST_CASE("a world built to support the claims gets their verdicts from the tests") {
    auto list = World{}.verdicts("supported");
    REQUIRE(list.size() == 6);
    for (int claim : {1, 2, 3, 4, 5})
        CHECK(finding(list, claim) == Finding::supported);
    // Each claim names its margins and tests, and every part has an evidence set.
    for (int claim : {1, 2, 3, 4, 5}) {
        const auto& v = list[std::size_t(claim - 1)];
        CHECK_FALSE(v.margins.empty());
        CHECK(v.tests.size() == v.margins.size());
        CHECK(v.evidence.size() >= v.margins.size());
        CHECK_FALSE(v.evidence_disagrees);
        for (const auto& e : v.evidence) {
            CHECK(e.finding == Finding::supported);
            CHECK(e.n_note == "decided");
            REQUIRE(e.stability);
            CHECK(*e.stability > 0.9);
        }
    }
    const auto& repeats = evidence_of(list[0], "toolchain constructed/repeat-baseline");
    CHECK(repeats.n == 17);
    REQUIRE(repeats.ci);
    CHECK(repeats.ci->high == Approx(1 - std::pow(0.025, 1.0 / 17)));
    CHECK_THAT(format_verdicts(list), Catch::Contains("Claim 5:") &&
                                          Catch::Contains("verdict: supported") &&
                                          Catch::Contains("margin:  Fmax CV at most 5%"));
}

TEST_CASE("claims 1 and 4: repeats that all differ contradict, few repeats cannot decide") {
    World w;
    w.tr_repeat.distinct = true;
    auto list = w.verdicts("claim1-contradicted");
    CHECK(finding(list, 1) == Finding::contradicted);
    CHECK(finding(list, 4) == Finding::contradicted);
    World few;
    few.tr_repeat.runs = 5; // 0 of 4 differ: the chance may still be up to 60%
    list = few.verdicts("claim1-undecided");
    CHECK(finding(list, 1) == Finding::undecided);
    CHECK(finding(list, 4) == Finding::undecided);
    const auto& e = evidence_of(list[0], "training constructed/repeat-baseline");
    REQUIRE(e.ci);
    CHECK(e.ci->high == Approx(1 - std::pow(0.025, 1.0 / 4)));
    // (1 - 0.2)^n <= 0.025 from n = 17 trials: 18 runs decide.
    REQUIRE(e.n_to_decide);
    CHECK(*e.n_to_decide == 18);
    REQUIRE(list[0].n_to_decide);
    CHECK(*list[0].n_to_decide >= 18);
}

TEST_CASE("claim 2: a spread within the sampling error contradicts, two runs cannot decide") {
    World w;
    w.tr_seed.accuracy = 0.95;
    w.tr_seed.accuracy_step = 0.001;
    CHECK(finding(w.verdicts("claim2-contradicted"), 2) == Finding::contradicted);
    w.tr_seed.runs = 2;
    w.tr_seed.accuracy_step = 0.02;
    auto list = w.verdicts("claim2-undecided");
    CHECK(finding(list, 2) == Finding::undecided);
}

TEST_CASE("claim 3: seeds that change function contradict, no equivalence check cannot decide") {
    World w;
    w.tc_seed.same_function = false;
    CHECK(finding(w.verdicts("claim3-contradicted"), 3) == Finding::contradicted);
    w.tc_seed.same_function.reset();
    auto list = w.verdicts("claim3-undecided");
    CHECK(finding(list, 3) == Finding::undecided);
    CHECK_THAT(list[2].because, Catch::Contains("not measured"));
}

TEST_CASE("claims 4 and 5: parallel builds of another quality contradict, none cannot decide") {
    World w;
    w.tc_parallel.fmax_step = 10; // CV about 14%
    auto list = w.verdicts("claim45-contradicted");
    CHECK(finding(list, 4) == Finding::contradicted);
    CHECK(finding(list, 5) == Finding::contradicted);
    list = World{}.verdicts("claim45-undecided", false);
    CHECK(finding(list, 4) == Finding::undecided);
    CHECK(finding(list, 5) == Finding::undecided);
    CHECK_THAT(list[4].because, Catch::Contains("no runs"));
    World noisy; // training's parallel spread about its sampling error: neither side
    noisy.tr_parallel.accuracy_step = 0.008;
    CHECK(finding(noisy.verdicts("claim5-noisy"), 5) == Finding::undecided);
}

TEST_CASE("claims 4 and 5 read icetime's Fmax where every build has it, and say so") {
    World w;
    w.tc_parallel.fmax_step = 10;   // nextpnr's estimate: CV about 14%
    w.tc_parallel.icetime_step = 1; // icetime: CV about 1.4%
    auto list = w.verdicts("claim45-icetime");
    CHECK(finding(list, 4) == Finding::supported);
    const auto& e = evidence_of(list[4], "parallel-refine");
    CHECK(e.figure == "Fmax CV (%, icetime)");
    w.tc_parallel.icetime_step.reset(); // no static timing: the placer's estimate, named
    auto estimate = w.verdicts("claim45-nextpnr");
    CHECK(finding(estimate, 4) == Finding::contradicted);
    CHECK(evidence_of(estimate[4], "parallel-refine").figure == "Fmax CV (%, nextpnr)");
}
