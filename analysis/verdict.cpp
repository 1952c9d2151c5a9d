// The verdict: each claim of the discussion as a measurable proposition, decided by a rule on
// the comparison rows. A rule says "cannot decide" whenever a figure it needs is missing or its
// interval straddles the threshold; the thresholds are the k* constants in analysis.h.
#include "analysis/analysis.h"

#include <sstream>

namespace detlab::analysis {
namespace {

// The row of a domain and source with the most runs (several experiments may hold one).
const ComparisonRow* find_row(const std::vector<ComparisonRow>& rows, const std::string& domain,
                              const std::string& source) {
    const ComparisonRow* best = nullptr;
    for (const auto& row : rows)
        if (row.domain == domain && row.source == source && (!best || row.runs > best->runs))
            best = &row;
    return best;
}

// Bounds of an estimate; an all-identical group is exactly 0 at both ends.
std::optional<double> upper(const Estimate& e) {
    if (e.ci)
        return e.ci->high;
    if (e.value && *e.value == 0)
        return 0.0;
    return std::nullopt;
}
std::optional<double> lower(const Estimate& e) {
    if (e.ci)
        return e.ci->low;
    if (e.value && *e.value == 0)
        return 0.0;
    return std::nullopt;
}

ClaimVerdict start(int number, std::string claim, std::string tested) {
    ClaimVerdict v;
    v.number = number;
    v.claim = std::move(claim);
    v.tested = std::move(tested);
    return v;
}

std::string name(const ComparisonRow* row, const std::string& fallback) {
    return row ? row->domain + " " + row->experiment + "/" + row->study : fallback + " (no runs)";
}

// Repeats of one fixed input: reproducible (0 differ and the bound below kReproducibleBound),
// not reproducible (any run differs), or nullopt (too few runs to say).
std::optional<bool> reproducible(const ComparisonRow* row) {
    if (!row || !row->differ || row->differ->n == 0)
        return std::nullopt;
    if (row->differ->k > 0)
        return false;
    if (row->differ->ci.high <= kReproducibleBound)
        return true;
    return std::nullopt;
}

std::string repeat_text(const ComparisonRow* row) {
    return name(row, "repeat study") + ": " + (row ? describe(row->differ) : "not measured");
}

std::string quality_text(const ComparisonRow* row) {
    if (!row)
        return "not measured";
    std::string what = row->domain == "training" ? "test accuracy CV " : "Fmax CV ";
    std::string out = what + describe(row->quality_relative, 1, "%");
    if (row->quality_vs_noise.value || !row->quality_vs_noise.note.empty())
        out += ", std over test-set sampling error " + describe(row->quality_vs_noise);
    return out;
}

ClaimVerdict claim1(const std::vector<ComparisonRow>& rows) {
    ClaimVerdict v =
        start(1, "The weights are the compiled version of the dataset; the dataset is the source.",
              "Like the toolchain from RTL, training maps the same data, seeds and settings to "
              "the same bits: fixed-input repeats are reproducible in both domains.");
    const auto* tr = find_row(rows, "training", "repeat");
    const auto* tc = find_row(rows, "toolchain", "repeat");
    auto a = reproducible(tr), b = reproducible(tc);
    if (a == false)
        v.finding = Finding::contradicted;
    else if (a == true && b == true)
        v.finding = Finding::supported;
    v.because = repeat_text(tr) + "; " + repeat_text(tc) + ".";
    if (b == false)
        v.because += " The toolchain's own repeats differ, so it is no deterministic reference.";
    return v;
}

ClaimVerdict claim2(const std::vector<ComparisonRow>& rows) {
    ClaimVerdict v = start(2,
                           "If compiling takes months and the results are random, the dataset is "
                           "basically worthless compared to the model.",
                           "Retraining from the dataset with another seed gives a model of another "
                           "quality: the init-seed accuracy CV is above " +
                               std::to_string(int(kLargeCvPct)) + "% (supported) or below " +
                               std::to_string(int(kSmallCvPct)) + "% (contradicted).");
    const auto* seed = find_row(rows, "training", "seed");
    if (seed) {
        auto lo = lower(seed->quality_relative), hi = upper(seed->quality_relative);
        if (lo && *lo >= kLargeCvPct)
            v.finding = Finding::supported;
        else if (hi && *hi <= kSmallCvPct)
            v.finding = Finding::contradicted;
    }
    v.because = name(seed, "init-seed study") + ": " + (seed ? describe(seed->differ) : "") +
                (seed ? "; " + quality_text(seed) : "") +
                ". The training cost (\"months\") is not what is measured here.";
    return v;
}

ClaimVerdict claim3(const std::vector<ComparisonRow>& rows) {
    ClaimVerdict v =
        start(3,
              "\"The results are random therefore the dataset is useless\" - \"tell that "
              "to any FPGA toolchain.\"",
              "The toolchain's seed makes bitstreams as different as unrelated ones (at "
              "least half the unrelated distance) while their function stays identical.");
    const auto* tc = find_row(rows, "toolchain", "seed");
    const auto* tr = find_row(rows, "training", "seed");
    if (tc && tc->differ) {
        auto lo = lower(tc->normalised), hi = upper(tc->normalised);
        bool functional_zero = tc->functional.value && *tc->functional.value == 0;
        bool functional_differs = tc->functional.value && *tc->functional.value > 0;
        if (reproducible(tc) == true || (hi && *hi < kUnrelatedShare) || functional_differs)
            v.finding = Finding::contradicted;
        else if (tc->differ->k > 0 && lo && *lo >= kUnrelatedShare && functional_zero)
            v.finding = Finding::supported;
    }
    v.because = name(tc, "toolchain seed study") + ": " +
                (tc ? describe(tc->differ) + "; distance " + describe(tc->normalised) +
                          " of unrelated bitstreams; functional distance " +
                          describe(tc->functional, 100, "%") + "; " + quality_text(tc)
                    : "") +
                ". For comparison " + name(tr, "training seed study") +
                (tr ? ": distance " + describe(tr->normalised) + " of unrelated weights" : "") +
                ".";
    return v;
}

ClaimVerdict claim4(const std::vector<ComparisonRow>& rows) {
    ClaimVerdict v =
        start(4,
              "Given the inputs you get reproducible outputs, modulo small deviations due "
              "to non-deterministic parallelism.",
              "Fixed-input repeats are reproducible in both domains, and repeats with "
              "parallel nondeterminism keep quality within " +
                  std::to_string(int(kSmallCvPct)) + "% (CV).");
    const auto* tr = find_row(rows, "training", "repeat");
    const auto* tc = find_row(rows, "toolchain", "repeat");
    const auto* pr = find_row(rows, "training", "parallel");
    const auto* pc = find_row(rows, "toolchain", "parallel");
    auto small = [](const ComparisonRow* r) -> std::optional<bool> {
        if (!r)
            return std::nullopt;
        auto lo = lower(r->quality_relative), hi = upper(r->quality_relative);
        if (hi && *hi <= kSmallCvPct)
            return true;
        if (lo && *lo > kSmallCvPct)
            return false;
        return std::nullopt;
    };
    auto a = reproducible(tr), b = reproducible(tc), c = small(pr), d = small(pc);
    if (a == false || b == false || c == false || d == false)
        v.finding = Finding::contradicted;
    else if (a == true && b == true && c == true && d == true)
        v.finding = Finding::supported;
    v.because = repeat_text(tr) + "; " + repeat_text(tc) + "; " + name(pr, "training parallel") +
                ": " + quality_text(pr) +
                (pr ? ", output bits " + describe(pr->normalised) + " of unrelated" : "") + "; " +
                name(pc, "toolchain parallel") + ": " + quality_text(pc) +
                (pc ? ", output bits " + describe(pc->normalised) + " of unrelated" : "") + ".";
    return v;
}

ClaimVerdict claim5(const std::vector<ComparisonRow>& rows) {
    ClaimVerdict v =
        start(5,
              "If those effects are large enough to make your model perform differently, "
              "you already have big issues, no different than software that performs "
              "differently each time it is compiled.",
              "Compiled hardware, the reference, does not perform differently from build to "
              "build under parallel nondeterminism (Fmax CV within " +
                  std::to_string(int(kSmallCvPct)) +
                  "%), and in training the effect stays within the accuracy's sampling "
                  "error; an accepted toolchain whose parallel builds differ in quality "
                  "contradicts it.");
    const auto* pc = find_row(rows, "toolchain", "parallel");
    const auto* pr = find_row(rows, "training", "parallel");
    auto tc_lo = pc ? lower(pc->quality_relative) : std::nullopt;
    auto tc_hi = pc ? upper(pc->quality_relative) : std::nullopt;
    auto noise_hi = pr ? upper(pr->quality_vs_noise) : std::nullopt;
    if (tc_lo && *tc_lo > kSmallCvPct)
        v.finding = Finding::contradicted;
    else if (tc_hi && *tc_hi <= kSmallCvPct && noise_hi && *noise_hi <= 1.0)
        v.finding = Finding::supported;
    v.because = name(pc, "toolchain parallel study") + ": " + quality_text(pc) + "; " +
                name(pr, "training parallel study") + ": " + quality_text(pr) + ".";
    return v;
}

const ComparisonRow* find_training(const std::vector<ComparisonRow>& rows,
                                   const std::string& source, const std::string& backend) {
    const ComparisonRow* best = nullptr;
    for (const auto& row : rows)
        if (row.domain == "training" && row.source == source && row.backend == backend &&
            (!best || row.runs > best->runs))
            best = &row;
    return best;
}

// Prediction disagreement, the variability Summers and Dinneen compare, of a one-weight change
// against a full reseed on the same backend: intervals that overlap say "about the same".
std::optional<bool> about_the_same(const ComparisonRow* change, const ComparisonRow* seed) {
    if (!change || !seed)
        return std::nullopt;
    auto clo = lower(change->functional), chi = upper(change->functional);
    auto slo = lower(seed->functional), shi = upper(seed->functional);
    if (!clo || !chi || !slo || !shi)
        return std::nullopt;
    return *clo <= *shi && *slo <= *chi;
}

ClaimVerdict claim6(const std::vector<ComparisonRow>& rows) {
    ClaimVerdict v = start(
        6,
        "A one-bit change of one initial weight gives about the same variability as a full "
        "reseed (Summers and Dinneen, ICML 2021).",
        "On each backend, the prediction disagreement between runs that differ in one changed "
        "initial weight overlaps (95% intervals) that between init seeds: the fp32 bit flip on "
        "the float backend, the int8 weight step on the integer one.");
    std::vector<std::optional<bool>> results;
    std::string because;
    // The fp32 flip on an integer backend is quantised away by design: shown, not counted.
    struct Pairing {
        const char *source, *backend;
        bool counted;
    };
    for (auto [source, backend, counted] :
         {Pairing{"one-bit change", "float", true}, Pairing{"one-step change", "golden", true},
          Pairing{"one-bit change", "golden", false}}) {
        const auto* change = find_training(rows, source, backend);
        const auto* seed = find_training(rows, "seed", backend);
        if (!change)
            continue;
        if (counted)
            results.push_back(about_the_same(change, seed));
        because += (because.empty() ? "" : "; ") + name(change, source) + " (" + backend +
                   (counted ? "" : ", not counted") + "): disagreement " +
                   describe(change->functional, 100, "%") + ", weights " +
                   describe(change->normalised) + " of unrelated, vs " +
                   name(seed, std::string(backend) + " init-seed study") +
                   (seed ? ": disagreement " + describe(seed->functional, 100, "%") + ", weights " +
                               describe(seed->normalised)
                         : "");
    }
    bool any_false = false, all_true = !results.empty();
    for (const auto& r : results) {
        any_false = any_false || r == false;
        all_true = all_true && r == true;
    }
    v.finding = any_false  ? Finding::contradicted
                : all_true ? Finding::supported
                           : Finding::undecided;
    v.because = (because.empty() ? "no one-weight change study" : because) + ".";
    return v;
}

} // namespace

const char* finding_name(Finding finding) {
    switch (finding) {
    case Finding::supported:
        return "supported";
    case Finding::contradicted:
        return "contradicted";
    case Finding::undecided:
        break;
    }
    return "cannot decide";
}

std::vector<ClaimVerdict> verdicts(const std::vector<ComparisonRow>& rows) {
    return {claim1(rows), claim2(rows), claim3(rows), claim4(rows), claim5(rows), claim6(rows)};
}

std::string format_verdicts(const std::vector<ClaimVerdict>& list) {
    std::ostringstream out;
    for (const auto& v : list)
        out << "Claim " << v.number << ": " << v.claim << "\n  tested:  " << v.tested
            << "\n  verdict: " << finding_name(v.finding) << "\n  because: " << v.because << "\n";
    return out.str();
}

} // namespace detlab::analysis
