// The verdict: each claim of the discussion as a pre-declared test. A claim has parts; each part
// names the rows it reads (domain and source), the figure and the margin; every matching row is
// one evidence set, evaluated alone and listed. A part is decided when its decided evidence sets
// agree; when they point both ways the claim says so and cannot be decided.
#include "analysis/verdict_internal.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace detlab::analysis {
namespace {

using verdict_detail::Figure;

struct Part {
    std::string name, domain;
    Source source;
    std::function<Figure(const ComparisonRow&)> figure;
    Margin margin;
};

Margin at_most(double high, std::string text, std::string source) {
    return {Direction::at_most, 0, high, std::move(text), std::move(source)};
}
Margin at_least(double low, std::string text, std::string source) {
    return {Direction::at_least, low, 0, std::move(text), std::move(source)};
}

const Margin kReproducible = at_most(
    kReproducibleMargin, "at most 20% of fixed-input repeats differ",
    "Cohen's conventional beta = 0.20 (Statistical Power Analysis, 1988) taken as the miss rate "
    "a reader accepts from a rebuild");
const Margin kFmaxSmall =
    at_most(kFmaxMarginPct, "Fmax CV at most 5%",
            "the timing margin a designer keeps anyway: the order of the gap between two timers' "
            "estimates of one placed design (nextpnr vs icetime)");
const Margin kWithinSampling =
    at_most(kSamplingErrorMargin, "accuracy std at most one test-set sampling error",
            "the binomial standard error sqrt(p(1-p)/N) of an accuracy on N test samples");
const Margin kBeyondSampling =
    at_least(kSamplingErrorMargin, "accuracy std at least one test-set sampling error",
             "the binomial standard error sqrt(p(1-p)/N) of an accuracy on N test samples");
const Margin kAsUnrelated =
    at_least(kUnrelatedShare, "at least half the distance of unrelated outputs",
             "the midpoint of the scale on which 0 is identical and 1 unrelated");
const Margin kNoMismatch =
    at_most(0, "no functional mismatch", "a bitstream either computes the design or it does not");
const Margin kAboutTheSame{Direction::within, kEquivalenceLow, kEquivalenceHigh,
                           "ratio within [0.80, 1.25]",
                           "the bioequivalence range (FDA, Statistical Approaches to Establishing "
                           "Bioequivalence, 2001)"};

Figure repeats(const ComparisonRow& r) {
    return verdict_detail::share_differing(r);
}
Figure distance(const ComparisonRow& r) {
    return verdict_detail::pair_figure(r.normalised_matrix, r.runs,
                                       "bit distance as a share of unrelated outputs' distance");
}
Figure mismatches(const ComparisonRow& r) {
    return verdict_detail::pair_figure(r.functional_matrix, r.runs,
                                       "share of vectors whose products differ, mean over pairs");
}

std::string number(double v) {
    std::ostringstream out;
    out.precision(3);
    out << v;
    return out.str();
}

std::string describe(const Evidence& e) {
    // The scope as the runs recorded it (model, data set, ..., backend: a program's framework).
    std::string scope;
    for (const auto& [key, value] : e.scope)
        scope += (scope.empty() ? " (" : ", ") + key + " " + value;
    std::string out = e.label + (scope.empty() ? "" : scope + ")") + ": " + e.figure + " ";
    if (!e.value)
        return out + "not measured" + (e.note.empty() ? "" : " (" + e.note + ")");
    out += number(*e.value);
    if (e.ci)
        out += " [" + number(e.ci->low) + ", " + number(e.ci->high) + "]";
    out += " n=" + std::to_string(e.n);
    if (!e.note.empty())
        out += " (" + e.note + ")";
    out += " -> " + std::string(finding_name(e.finding));
    if (e.n_to_decide)
        out += ", n=" + std::to_string(*e.n_to_decide) + " would decide";
    if (e.stability)
        out += ", stability " + number(*e.stability);
    return out;
}

std::vector<Evidence> evaluate_part(const std::vector<ComparisonRow>& rows, const Part& part) {
    std::vector<Evidence> out;
    for (const auto& row : rows) {
        if (row.domain != part.domain || row.source != part.source)
            continue;
        Evidence e = verdict_detail::evaluate(part.figure(row), part.margin);
        e.part = part.name;
        e.label = row.domain + " " + row.experiment + "/" + row.study;
        e.scope = row.scope;
        out.push_back(std::move(e));
    }
    if (out.empty()) {
        Evidence e;
        e.part = part.name;
        e.label = part.domain + " " + source_name(part.source) + " study";
        ComparisonRow none; // names the figure of the part's domain
        none.quality_label = part.domain == "training" ? "test_accuracy" : "fmax";
        e.figure = part.figure(none).name;
        e.test = part.figure(none).test;
        e.margin = part.margin;
        e.note = "no runs";
        e.n_note = "not measured";
        out.push_back(std::move(e));
    }
    return out;
}

// The evidence of one part combined: decided sets that agree decide it, sets that disagree leave
// it undecided and flag the claim.
Finding combine(const std::vector<Evidence>& evidence, bool& disagrees) {
    bool supported = false, contradicted = false;
    for (const auto& e : evidence) {
        supported = supported || e.finding == Finding::supported;
        contradicted = contradicted || e.finding == Finding::contradicted;
    }
    if (supported && contradicted) {
        disagrees = true;
        return Finding::undecided;
    }
    return supported      ? Finding::supported
           : contradicted ? Finding::contradicted
                          : Finding::undecided;
}

void add_part(ClaimVerdict& v, const std::string& name, const std::vector<Evidence>& evidence,
              std::vector<Finding>& parts) {
    bool disagrees = false;
    parts.push_back(combine(evidence, disagrees));
    v.evidence_disagrees = v.evidence_disagrees || disagrees;
    if (!evidence.empty()) {
        v.margins.push_back(evidence.front().margin);
        v.tests.push_back(name + ": " + evidence.front().test);
    }
    v.evidence.insert(v.evidence.end(), evidence.begin(), evidence.end());
}

// A claim holds when every part holds; one contradicted part contradicts it.
void conclude(ClaimVerdict& v, const std::vector<Finding>& parts) {
    bool all = !parts.empty(), any_against = false;
    for (auto f : parts) {
        all = all && f == Finding::supported;
        any_against = any_against || f == Finding::contradicted;
    }
    v.finding = any_against ? Finding::contradicted : all ? Finding::supported : Finding::undecided;
    std::string because;
    for (const auto& e : v.evidence) {
        because += (because.empty() ? "" : "; ") + describe(e);
        if (e.finding == Finding::undecided && e.n_to_decide)
            v.n_to_decide = std::max(v.n_to_decide.value_or(0), *e.n_to_decide);
        if (e.stability)
            v.stability = std::min(v.stability.value_or(1.0), *e.stability);
    }
    if (v.evidence_disagrees)
        because = "THE EVIDENCE DISAGREES (listed below); " + because;
    v.because = because + ".";
}

ClaimVerdict run_claim(int number, std::string claim, std::string tested,
                       const std::vector<ComparisonRow>& rows, const std::vector<Part>& parts) {
    ClaimVerdict v;
    v.number = number;
    v.claim = std::move(claim);
    v.tested = std::move(tested);
    std::vector<Finding> findings;
    for (const auto& part : parts)
        add_part(v, part.name, evaluate_part(rows, part), findings);
    conclude(v, findings);
    return v;
}

const Part kTrainingRepeats{"training repeats reproduce the weights", "training", Source::repeat,
                            repeats, kReproducible};
const Part kToolchainRepeats{"toolchain repeats reproduce the bitstream", "toolchain",
                             Source::repeat, repeats, kReproducible};
const Part kToolchainParallel{"parallel refinement keeps Fmax", "toolchain", Source::parallel,
                              verdict_detail::quality_cv, kFmaxSmall};
const Part kTrainingParallel{"a free reduction order keeps accuracy", "training", Source::parallel,
                             verdict_detail::quality_vs_sampling, kWithinSampling};

// Claim 6: each one-weight change against the init-seed study of the same scope (model, data
// set, schedule, epochs, backend), as the ratio of their prediction disagreements. The fp32
// flip on an integer backend is quantised away by design and not paired.
std::vector<Evidence> claim6_evidence(const std::vector<ComparisonRow>& rows,
                                      std::vector<TrainingMetricSet>& sets) {
    std::vector<Evidence> out;
    auto add_set = [&sets](TrainingMetricSet set) {
        for (const auto& known : sets)
            if (known.label == set.label)
                return;
        sets.push_back(std::move(set));
    };
    for (const auto& change : rows) {
        bool flip = change.source == Source::one_bit_change,
             step = change.source == Source::one_step_change;
        if (change.domain != "training" || !(step || (flip && change.backend == "float")))
            continue;
        for (const auto& seed : rows) {
            if (seed.domain != "training" || seed.source != Source::seed ||
                seed.scope != change.scope)
                continue;
            Evidence e = verdict_detail::evaluate(
                verdict_detail::pair_ratio(
                    change.functional_matrix, change.runs, seed.functional_matrix, seed.runs,
                    "prediction disagreement, " + source_name(change.source) + " over init seed"),
                kAboutTheSame);
            e.part = "one changed initial weight varies predictions like a reseed";
            e.label = "training " + change.experiment + "/" + change.study + " vs " +
                      seed.experiment + "/" + seed.study;
            e.scope = change.scope;
            out.push_back(std::move(e));
            TrainingMetricSet set = training_metric_set(change);
            compare_accuracy_std(set, change, seed);
            set.label += " vs " + seed.experiment + "/" + seed.study;
            add_set(std::move(set));
            add_set(training_metric_set(seed));
        }
    }
    if (out.empty()) {
        Evidence e;
        e.part = "one changed initial weight varies predictions like a reseed";
        e.label = "one-weight change and init-seed studies of one scope";
        e.figure = "prediction disagreement, change over init seed";
        e.test = "two one-sided tests (Schuirmann) by the percentile bootstrap interval of the "
                 "ratio";
        e.margin = kAboutTheSame;
        e.note = "no runs";
        e.n_note = "not measured";
        out.push_back(std::move(e));
    }
    return out;
}

} // namespace

std::vector<ClaimVerdict> verdicts(const std::vector<ComparisonRow>& rows) {
    std::vector<ClaimVerdict> out;
    out.push_back(run_claim(
        1, "The weights are the compiled version of the dataset; the dataset is the source.",
        "Like the toolchain from RTL, training maps the same data, seeds and settings to the same "
        "bits (fixed-input repeats differ at most 20% of the time in both domains), and the "
        "toolchain's seeds preserve the function (no mismatch).",
        rows,
        {kTrainingRepeats, kToolchainRepeats,
         Part{"toolchain seeds preserve the function", "toolchain", Source::seed, mismatches,
              kNoMismatch}}));
    out.push_back(run_claim(
        2,
        "If compiling takes months and the results are random, the dataset is basically "
        "worthless compared to the model.",
        "Retraining with another init seed gives a model of another quality: the accuracy's std "
        "over seeds exceeds the test set's own sampling error (else contradicted). The training "
        "cost (\"months\") is not what is measured here.",
        rows,
        {Part{"init seeds change the accuracy beyond sampling error", "training", Source::seed,
              verdict_detail::quality_vs_sampling, kBeyondSampling}}));
    out.push_back(run_claim(
        3,
        "\"The results are random therefore the dataset is useless\" - \"tell that to any FPGA "
        "toolchain.\"",
        "The toolchain's seed makes bitstreams at least half as different as unrelated ones "
        "while their function stays identical.",
        rows,
        {Part{"toolchain seeds scatter the bits", "toolchain", Source::seed, distance,
              kAsUnrelated},
         Part{"toolchain seeds preserve the function", "toolchain", Source::seed, mismatches,
              kNoMismatch}}));
    out.push_back(run_claim(
        4,
        "Given the inputs you get reproducible outputs, modulo small deviations due to "
        "non-deterministic parallelism.",
        "Fixed-input repeats are reproducible in both domains, and parallel nondeterminism keeps "
        "quality within its margin (Fmax CV at most 5%; accuracy std at most one sampling "
        "error).",
        rows, {kTrainingRepeats, kToolchainRepeats, kToolchainParallel, kTrainingParallel}));
    out.push_back(run_claim(
        5,
        "If those effects are large enough to make your model perform differently, you already "
        "have big issues, no different than software that performs differently each time it is "
        "compiled.",
        "Compiled hardware, the reference, keeps its quality under parallel nondeterminism (Fmax "
        "CV at most 5%), and in training the effect stays within the accuracy's sampling error.",
        rows, {kToolchainParallel, kTrainingParallel}));
    ClaimVerdict six;
    six.number = 6;
    six.claim = "A one-bit change of one initial weight gives about the same variability as a "
                "full reseed (Summers and Dinneen, ICML 2021).";
    six.tested = "For each model, data set, schedule, epochs and backend, the prediction "
                 "disagreement of one-weight-change runs over that of init-seed runs lies within "
                 "[0.80, 1.25] (two one-sided tests): the fp32 bit flip on the float backend, "
                 "the int8 weight step on the integer ones.";
    std::vector<Finding> findings;
    add_part(six, "one changed weight vs a reseed", claim6_evidence(rows, six.metric_sets),
             findings);
    conclude(six, findings);
    out.push_back(std::move(six));
    return out;
}

} // namespace detlab::analysis
