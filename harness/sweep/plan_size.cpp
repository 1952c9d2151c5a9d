// The size of a plan, counted from the experiment's specs before anything is expanded: a file
// asking for 10^10 runs is refused at once, naming its line, instead of after minutes and
// gigabytes (issue 28). Sizes multiply with saturation, so no count can overflow.
#include "harness/sweep/experiment_spec.h"

#include <algorithm>

namespace detlab::sweep {
namespace {

constexpr std::uint64_t kSaturated = UINT64_MAX;

std::uint64_t times(std::uint64_t a, std::uint64_t b) {
    std::uint64_t product = 0;
    return __builtin_mul_overflow(a, b, &product) ? kSaturated : product;
}

std::uint64_t plus(std::uint64_t a, std::uint64_t b) {
    std::uint64_t sum = 0;
    return __builtin_add_overflow(a, b, &sum) ? kSaturated : sum;
}

std::string count_text(std::uint64_t count) {
    return count == kSaturated ? "more than 18446744073709551614" : std::to_string(count);
}

class Counter {
public:
    Counter(const ExperimentSpec& spec, std::string origin)
        : spec_(spec), origin_(std::move(origin)) {}

    void domain(const std::string& kind, const DomainSpec* table) {
        if (!table || table->studies.empty()) {
            add(spec_.repeats, spec_.repeats_line, "experiment.repeats",
                std::to_string(spec_.repeats) + " repeats of the " + kind + " baseline");
        } else if (spec_.design == "grid") {
            grid(kind, *table);
        } else {
            for (const auto& study : table->studies)
                add(study_runs(study), study_line(study), study_key(study), study_terms(study));
            if (spec_.baseline_repeats > 0)
                add(static_cast<std::uint64_t>(spec_.baseline_repeats), spec_.baseline_repeats_line,
                    "experiment.baseline_repeats",
                    std::to_string(spec_.baseline_repeats) + " baseline repeats");
        }
    }

private:
    int replicates(const StudySpec& study) const {
        return study.factor == "repeat" ? study.count : study.repeats.value_or(spec_.repeats);
    }

    std::uint64_t study_runs(const StudySpec& study) const {
        if (study.factor == "repeat")
            return static_cast<std::uint64_t>(study.count);
        return times(study.values.size(), static_cast<std::uint64_t>(replicates(study)));
    }

    // Where the study's size is written: a repeat study's count, else its values (or `to`).
    static std::string study_key(const StudySpec& study) {
        return study.key + (study.factor == "repeat" ? "count" : "values");
    }
    static long study_line(const StudySpec& study) {
        long line = study.factor == "repeat" ? study.replicates_line : study.values_line;
        return line > 0 ? line : study.line;
    }

    std::string study_terms(const StudySpec& study) const {
        if (study.factor == "repeat")
            return std::to_string(study.count) + " repeats";
        return std::to_string(study.values.size()) + " values x " +
               std::to_string(replicates(study)) + " repeats";
    }

    void grid(const std::string& kind, const DomainSpec& table) {
        int repeat_count = spec_.repeats;
        for (const auto& study : table.studies)
            if (study.factor == "repeat")
                repeat_count = study.count;
        std::uint64_t points = static_cast<std::uint64_t>(repeat_count);
        std::string terms = std::to_string(repeat_count) + " repeats";
        const StudySpec* last = nullptr;
        for (const auto& study : table.studies) {
            if (study.factor == "repeat")
                continue;
            points = times(points, study.values.size());
            terms += " x " + std::to_string(study.values.size());
            last = &study;
            if (plus(total_, points) > kMaxPlannedRuns)
                break; // the axis that makes it too big is the one named
        }
        if (!last) {
            add(points, spec_.repeats_line, "experiment.repeats",
                terms + " of the " + kind + " grid");
            return;
        }
        add(points, study_line(*last), study_key(*last), "a grid of " + terms);
    }

    void add(std::uint64_t runs, long line, const std::string& key, const std::string& terms) {
        std::uint64_t before = total_;
        total_ = plus(total_, runs);
        if (total_ <= kMaxPlannedRuns)
            return;
        throw InputError(input_error_message(
            origin_, line, key,
            "the plan would have " + count_text(total_) + " runs (" + terms +
                (before == 0 ? "" : ", after " + count_text(before) + " planned before it") +
                "); at most " + std::to_string(kMaxPlannedRuns) +
                " runs are allowed in one experiment: split it into several files"));
    }

    const ExperimentSpec& spec_;
    std::string origin_;
    std::uint64_t total_ = 0;
};

} // namespace

void check_plan_size(const ExperimentSpec& spec, const std::string& origin) {
    Counter counter(spec, origin);
    for (const auto& kind : spec.domains) {
        auto table = std::find_if(spec.tables.begin(), spec.tables.end(),
                                  [&](const DomainSpec& t) { return t.domain->kind == kind; });
        counter.domain(kind, table == spec.tables.end() ? nullptr : &*table);
    }
}

} // namespace detlab::sweep
