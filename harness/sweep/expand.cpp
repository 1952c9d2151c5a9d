// Expansion of a validated experiment into runs, and the shard split.
#include "harness/sweep/experiment_spec.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace detlab::sweep {
namespace {

// A configuration's occurrences are counted by a 128-bit digest of its text, not the text
// itself: a million planned runs cost a few tens of megabytes here, whatever their configs.
struct ConfigDigest {
    std::uint64_t high = 0, low = 0;
    bool operator==(const ConfigDigest&) const = default;
};
struct ConfigDigestHash {
    std::size_t operator()(const ConfigDigest& digest) const { return digest.low; }
};
ConfigDigest config_digest(const std::string& kind, const std::string& canonical) {
    std::string hex = sha256_hex(std::string_view(kind + "\n" + canonical));
    return {std::stoull(hex.substr(0, 16), nullptr, 16),
            std::stoull(hex.substr(16, 16), nullptr, 16)};
}

// The experiment's root seed reaches every domain: a domain with a `root_seed` key derives its
// own seeds from it; otherwise each integer "*seed" key the file does not set gets an
// independent stream derived from the root, reduced into the key's range.
void derive_seeds(const DomainSpec& table, std::int64_t root, nlohmann::json& config) {
    const auto& keys = table.domain->keys;
    bool has_root_key = std::any_of(keys.begin(), keys.end(),
                                    [](const KeySpec& k) { return k.name == "root_seed"; });
    for (const auto& spec : keys) {
        if (table.baseline.contains(spec.name))
            continue;
        if (has_root_key) {
            if (spec.name == "root_seed")
                config[spec.name] = root;
            continue;
        }
        if (spec.type != KeySpec::Type::integer || !spec.name.ends_with("seed"))
            continue;
        std::uint64_t derived =
            derive_seed(static_cast<std::uint64_t>(root), table.domain->kind + "." + spec.name);
        double low = spec.min < spec.max ? spec.min : 0;
        double high = spec.min < spec.max ? spec.max : 2147483647.0;
        auto span = static_cast<std::uint64_t>(high - low) + 1;
        config[spec.name] =
            static_cast<std::int64_t>(low) + static_cast<std::int64_t>(derived % span);
    }
}

class Expander {
public:
    Expander(const ExperimentSpec& spec, Experiment& out, const PlanVisitor& visit)
        : spec_(spec), out_(out), visit_(visit) {}

    void domain(const DomainSpec& table) {
        const Domain& domain = *table.domain;
        line_ = 0;
        nlohmann::json baseline = complete_config(domain.keys, table.baseline, out_.file);
        if (spec_.root_seed)
            derive_seeds(table, *spec_.root_seed, baseline);
        if (table.studies.empty()) {
            for (int r = 0; r < spec_.repeats; ++r)
                add(domain, baseline, "baseline", "repeat", r);
        } else if (spec_.design == "grid") {
            grid(domain, baseline, table.studies);
        } else {
            for (const auto& study : table.studies)
                one_at_a_time(domain, baseline, study);
            baseline_repeats(domain, baseline);
        }
    }

private:
    std::string study_name(const std::string& kind, const StudySpec& study) {
        std::string name = study.name.empty() ? study.factor : study.name;
        if (study.name.empty())
            for (int n = 2; names_.contains(kind + "/" + name); ++n)
                name = study.factor + "-" + std::to_string(n);
        if (!names_.insert(kind + "/" + name).second)
            throw InputError(input_error_message(out_.file, study.line, kind + ".vary.name",
                                                 "study name \"" + name + "\" used twice"));
        return name;
    }

    void one_at_a_time(const Domain& domain, const nlohmann::json& baseline,
                       const StudySpec& study) {
        std::string name = study_name(domain.kind, study);
        line_ = study.line;
        nlohmann::json base = baseline;
        if (study.factor == "repeat")
            for (const auto& [key, value] : domain.repeat_overrides.items())
                base[key] = value;
        for (const auto& [key, value] : study.with.items())
            base[key] = value;
        if (study.optional && !available(domain, base, name, study))
            return;
        if (study.factor == "repeat") {
            for (int r = 0; r < study.count; ++r)
                add(domain, base, name, "repeat", r);
            return;
        }
        int replicates = study.repeats.value_or(spec_.repeats);
        for (const auto& value : study.values) {
            nlohmann::json config = base;
            config[study.factor] = value;
            for (int r = 0; r < replicates; ++r)
                add(domain, config, name, study.factor, value);
        }
    }

    // Each study is compared with the baseline configuration (docs/analysis.md, "Effects"): with
    // `baseline_repeats = N` it is observed N times in a study of its own, planned after every
    // study so that the other runs' slots stay what they were.
    void baseline_repeats(const Domain& domain, const nlohmann::json& baseline) {
        if (spec_.baseline_repeats == 0 || names_.contains(domain.kind + "/baseline"))
            return; // none asked for, or the file has a study of that name: the user's
        names_.insert(domain.kind + "/baseline");
        line_ = 0;
        for (int r = 0; r < spec_.baseline_repeats; ++r)
            add(domain, baseline, "baseline", "repeat", r);
    }

    // Whether every configuration of an optional study can run here; if not, a note says why.
    bool available(const Domain& domain, const nlohmann::json& base, const std::string& name,
                   const StudySpec& study) {
        if (!domain.check)
            return true;
        std::vector<nlohmann::json> configs;
        for (const auto& value : study.values) {
            configs.push_back(base);
            configs.back()[study.factor] = value;
        }
        if (configs.empty()) // a repeat study: its `with` is what may be missing
            configs.push_back(base);
        for (const auto& config : configs) {
            try {
                domain.check(config);
            } catch (const UnavailableError& missing) {
                out_.notes.push_back(
                    input_error_message(out_.file, study.line, domain.kind + "/" + name,
                                        std::string("skipped: ") + missing.what()));
                return false;
            } catch (const InputError&) {
                return true; // a real error: add() reports it with the study's line
            }
        }
        return true;
    }

    // Every combination of the studies' values; a repeat study sets the replicates per point.
    void grid(const Domain& domain, const nlohmann::json& baseline,
              const std::vector<StudySpec>& studies) {
        std::vector<const StudySpec*> axes;
        int replicates = spec_.repeats;
        std::string factor;
        for (const auto& study : studies) {
            if (!study.with.empty())
                throw InputError(input_error_message(out_.file, study.line,
                                                     domain.kind + ".vary.with",
                                                     "not allowed when design = \"grid\""));
            if (study.factor == "repeat") {
                replicates = study.count;
                continue;
            }
            for (const auto* axis : axes)
                if (axis->factor == study.factor)
                    throw InputError(
                        input_error_message(out_.file, study.line, domain.kind + ".vary.factor",
                                            "\"" + study.factor + "\" varied twice in a grid"));
            axes.push_back(&study);
            line_ = axes.front()->line;
            factor += (factor.empty() ? "" : ",") + study.factor;
        }
        nlohmann::json base = baseline;
        if (axes.empty()) {
            for (const auto& [key, value] : domain.repeat_overrides.items())
                base[key] = value;
            for (int r = 0; r < replicates; ++r)
                add(domain, base, "grid", "repeat", r);
            return;
        }
        std::vector<std::size_t> position(axes.size(), 0);
        while (true) {
            nlohmann::json config = base;
            nlohmann::json point = nlohmann::json::object();
            for (std::size_t a = 0; a < axes.size(); ++a) {
                config[axes[a]->factor] = axes[a]->values[position[a]];
                point[axes[a]->factor] = axes[a]->values[position[a]];
            }
            for (int r = 0; r < replicates; ++r)
                add(domain, config, "grid", factor, point);
            std::size_t a = axes.size();
            while (a > 0 && ++position[a - 1] == axes[a - 1]->values.size())
                position[--a] = 0;
            if (a == 0)
                return;
        }
    }

    // The repeat index counts earlier occurrences of the same configuration, so two studies
    // that share a point (e.g. both contain the baseline) get two distinct runs.
    void add(const Domain& domain, const nlohmann::json& config, const std::string& study,
             const std::string& factor, const nlohmann::json& value) {
        if (planned_ >= kMaxPlannedRuns) // counted before expansion (check_plan_size)
            throw std::logic_error("the plan grew past its counted size");
        PlannedRun run;
        run.kind = domain.kind;
        run.config = config;
        std::string canonical = config.dump();
        if (auto problem = inapplicable_key_problem(domain.keys, config); !problem.empty())
            throw InputError(input_error_message(out_.file, line_, domain.kind + ".vary", problem));
        int& occurrences = occurrences_[config_digest(domain.kind, canonical)];
        if (occurrences == 0 && domain.check) {
            try {
                domain.check(config);
            } catch (const InputError& error) {
                throw InputError(
                    input_error_message(out_.file, line_, domain.kind + ".vary", error.what()));
            }
        }
        run.repeat = occurrences++;
        run.id = db::run_id(domain.kind, canonical, run.repeat);
        run.study = study;
        run.factor = factor;
        run.factor_value = value;
        ++planned_;
        visit_(std::move(run));
    }

    const ExperimentSpec& spec_;
    Experiment& out_;
    const PlanVisitor& visit_;
    std::size_t planned_ = 0;
    std::unordered_map<ConfigDigest, int, ConfigDigestHash> occurrences_;
    std::set<std::string> names_;
    long line_ = 0; // the [[<domain>.vary]] being expanded, for messages (0: the baseline)
};

} // namespace

Experiment parse_experiment(std::string_view text, const std::string& origin,
                            const std::vector<Domain>& domains) {
    std::vector<PlannedRun> runs;
    Experiment experiment = plan_experiment(
        text, origin, domains, [&](PlannedRun&& run) { runs.push_back(std::move(run)); });
    experiment.runs = std::move(runs);
    return experiment;
}

Experiment plan_experiment(std::string_view text, const std::string& origin,
                           const std::vector<Domain>& domains, const PlanVisitor& visit) {
    ExperimentSpec spec = read_experiment(text, origin, domains);
    check_plan_size(spec, origin);
    Experiment experiment;
    experiment.file = origin;
    experiment.source = std::string(text);
    experiment.name = spec.name;
    experiment.equiv_vectors = spec.equiv_vectors;
    experiment.equiv_cycles = spec.equiv_cycles;
    experiment.equiv_clock = spec.equiv_clock;
    experiment.equiv_hold = spec.equiv_hold;
    experiment.equiv_prove_s = spec.equiv_prove_s;
    if (experiment.name.empty()) {
        experiment.name = std::filesystem::path(origin).stem().string();
        if (experiment.name.empty())
            experiment.name = "experiment";
    }
    experiment.description = spec.description;
    experiment.design = spec.design;
    experiment.domains = spec.domains;
    Expander expander(spec, experiment, visit);
    for (const auto& kind : spec.domains) {
        auto table = std::find_if(spec.tables.begin(), spec.tables.end(),
                                  [&](const DomainSpec& t) { return t.domain->kind == kind; });
        if (table != spec.tables.end()) {
            expander.domain(*table);
            continue;
        }
        DomainSpec defaults;
        for (const auto& domain : domains)
            if (domain.kind == kind)
                defaults.domain = &domain;
        expander.domain(defaults);
    }
    return experiment;
}

Experiment load_experiment(const std::filesystem::path& file, const std::vector<Domain>& domains) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error))
        throw InputError(input_error_message(file.string(), 0, "", "no such experiment file"));
    return parse_experiment(read_file_text(file), file.string(), domains);
}

Experiment plan_experiment_file(const std::filesystem::path& file,
                                const std::vector<Domain>& domains, const PlanVisitor& visit) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error))
        throw InputError(input_error_message(file.string(), 0, "", "no such experiment file"));
    return plan_experiment(read_file_text(file), file.string(), domains, visit);
}

Shard parse_shard(const std::string& text) {
    auto slash = text.find('/');
    Shard shard;
    auto parse_int = [](std::string_view part, int& value) {
        auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
        return error == std::errc() && end == part.data() + part.size() && !part.empty();
    };
    std::string_view whole(text);
    if (slash == std::string::npos || !parse_int(whole.substr(0, slash), shard.index) ||
        !parse_int(whole.substr(slash + 1), shard.count) || shard.count < 1 || shard.index < 0 ||
        shard.index >= shard.count)
        throw InputError("--shard: \"" + text +
                         "\" is not I/N with 0 <= I < N (e.g. 0/4 is the first of four)");
    return shard;
}

std::optional<Shard> shard_from_environment() {
    const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
    const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
    if (!id || !count || !*id || !*count)
        return std::nullopt;
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    long index = std::strtol(id, nullptr, 10) - ((min && *min) ? std::strtol(min, nullptr, 10) : 0);
    return parse_shard(std::to_string(index) + "/" + count);
}

bool in_shard(const std::vector<std::string>& sorted_ids, const std::string& id, Shard shard) {
    auto position = std::lower_bound(sorted_ids.begin(), sorted_ids.end(), id) - sorted_ids.begin();
    return position % shard.count == shard.index;
}

std::vector<PlannedRun> shard_runs(const std::vector<PlannedRun>& runs, Shard shard) {
    std::vector<std::string> ids;
    for (const auto& run : runs)
        ids.push_back(run.id);
    std::sort(ids.begin(), ids.end());
    std::vector<PlannedRun> mine;
    for (const auto& run : runs)
        if (in_shard(ids, run.id, shard))
            mine.push_back(run);
    return mine;
}

std::filesystem::path shard_db_path(const std::filesystem::path& db, Shard shard) {
    if (shard.count <= 1)
        return db;
    std::filesystem::path out = db;
    out.replace_filename(db.stem().string() + ".shard-" + std::to_string(shard.index) +
                         db.extension().string());
    return out;
}

std::filesystem::path shard_db_pattern(const std::filesystem::path& db) {
    std::filesystem::path out = db;
    out.replace_filename(db.stem().string() + ".shard-*" + db.extension().string());
    return out;
}

} // namespace detlab::sweep
