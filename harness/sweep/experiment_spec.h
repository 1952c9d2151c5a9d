// Private to harness/sweep: an experiment file after reading and validation, before expansion.
#pragma once

#include "harness/sweep/sweep.h"

#include <cstdint>
#include <map>
#include <optional>

namespace detlab::sweep {

// A key of the experiment file's own tables ([experiment], [[<domain>.vary]]), in one place
// (file_keys.cpp): the reader refuses any other name, and `detlab keys --format markdown` prints
// them into docs/experiments.md. Type, default and meaning are markdown for that table; each
// value is checked where it is read.
struct FileKey {
    std::string name, type, default_text, meaning;
};
const std::vector<FileKey>& experiment_table_keys();
const std::vector<FileKey>& study_table_keys();
std::vector<std::string> file_key_names(const std::vector<FileKey>& keys);

struct StudySpec {
    std::string name; // empty: derived from the factor
    std::string factor;
    std::vector<nlohmann::json> values;             // factors other than "repeat"
    int count = 0;                                  // "repeat" studies
    std::optional<int> repeats;                     // replicates of each value
    nlohmann::json with = nlohmann::json::object(); // baseline overrides for this study
    long line = 0;                                  // the [[<domain>.vary]] header
    std::string key;          // "toolchain.vary[2].", the prefix of its keys in messages
    long values_line = 0;     // `values` or `to` (0: not given)
    long replicates_line = 0; // its own `repeats` or `count` (0: not given)
    // Skipped with a note (Experiment::notes), not an error, when a configuration of the study
    // needs something this machine has not installed (UnavailableError, e.g. a toolchain root).
    bool optional = false;
};

struct DomainSpec {
    const Domain* domain = nullptr;
    nlohmann::json baseline = nlohmann::json::object(); // only the keys the file sets
    std::map<std::string, long> baseline_lines;
    std::vector<StudySpec> studies;
};

struct ExperimentSpec {
    std::string name, description;
    std::string design = "one-at-a-time";
    int repeats = 1;
    int baseline_repeats = 0; // observations of the baseline planned after the studies
    long repeats_line = 0, baseline_repeats_line = 0; // where the file sets them (0: not set)
    int equiv_vectors = 0;
    int equiv_cycles = 1000;
    std::string equiv_clock;
    std::map<std::string, bool> equiv_hold;
    int equiv_prove_s = 0;
    std::optional<std::int64_t> root_seed;
    std::vector<std::string> domains;
    std::vector<DomainSpec> tables; // in file order
};

// Refuses a plan of more than kMaxPlannedRuns runs (InputError "file:line: key: ...", naming
// the study or key that makes it too big and the count), computed from the specs' sizes with
// saturating arithmetic before a single run is built.
inline constexpr std::uint64_t kMaxPlannedRuns = 1000000;
void check_plan_size(const ExperimentSpec& spec, const std::string& origin);

ExperimentSpec read_experiment(std::string_view text, const std::string& origin,
                               const std::vector<Domain>& domains);

} // namespace detlab::sweep
