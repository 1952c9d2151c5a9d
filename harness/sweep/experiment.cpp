// Reading an experiment file: TOML (toml++ keeps every node's line) -> validated specs.
// Expansion of the specs into runs is in expand.cpp.
#include "harness/sweep/experiment_spec.h"

#include <algorithm>
#include <toml++/toml.h>

namespace detlab::sweep {
namespace {

// The names the file's own tables take (file_keys.cpp, which the docs' tables come from).
const std::vector<std::string> kExperimentKeys = file_key_names(experiment_table_keys());
const std::vector<std::string> kStudyKeys = file_key_names(study_table_keys());
constexpr std::int64_t kMaxValues = 100000;
constexpr std::int64_t kMaxProveSeconds = 86400; // a day: a longer proof limit is a typo

long line_of(const toml::node& node) {
    return static_cast<long>(node.source().begin.line);
}
long line_of(const toml::key& key) {
    return static_cast<long>(key.source().begin.line);
}

class Reader {
public:
    explicit Reader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(long line, const std::string& key, const std::string& problem) const {
        throw InputError(input_error_message(origin_, line, key, problem));
    }

    // TOML value -> JSON (integers stay integers, so KeySpec type checks see what was written).
    nlohmann::json to_json(const toml::node& node, const std::string& key) const {
        if (auto v = node.as_integer())
            return v->get();
        if (auto v = node.as_floating_point())
            return v->get();
        if (auto v = node.as_boolean())
            return v->get();
        if (auto v = node.as_string())
            return v->get();
        if (auto array = node.as_array()) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& element : *array)
                out.push_back(to_json(element, key));
            return out;
        }
        if (auto table = node.as_table()) {
            nlohmann::json out = nlohmann::json::object();
            for (const auto& [name, value] : *table)
                out[std::string(name.str())] = to_json(value, key + "." + std::string(name.str()));
            return out;
        }
        fail(line_of(node), key, "dates and times are not supported here");
    }

    std::string string_value(const toml::node& node, const std::string& key) const {
        if (auto v = node.as_string())
            return v->get();
        fail(line_of(node), key, "expected a string");
    }

    std::int64_t integer_value(const toml::node& node, const std::string& key, std::int64_t min,
                               std::int64_t max) const {
        auto v = node.as_integer();
        if (!v)
            fail(line_of(node), key, "expected an integer");
        if (v->get() < min || v->get() > max)
            fail(line_of(node), key,
                 "value " + std::to_string(v->get()) + " is out of range [" + std::to_string(min) +
                     ", " + std::to_string(max) + "]");
        return v->get();
    }

    const toml::table& table_value(const toml::node& node, const std::string& key) const {
        if (auto table = node.as_table())
            return *table;
        fail(line_of(node), key, "expected a table");
    }

    // The value of one configuration key, checked against the domain's KeySpec.
    nlohmann::json key_value(const Domain& domain, const toml::key& name, const toml::node& node,
                             const std::string& prefix, bool must_be_factor) const {
        std::string key(name.str());
        auto spec = std::find_if(domain.keys.begin(), domain.keys.end(),
                                 [&](const KeySpec& k) { return k.name == key; });
        if (spec == domain.keys.end())
            fail(line_of(name), prefix + key,
                 "unknown key (valid keys: " + join(key_names(domain, false)) + ")");
        if (must_be_factor && !spec->factor)
            fail(line_of(name), prefix + key, "cannot be varied");
        return checked(*spec, node, prefix + key);
    }

    nlohmann::json checked(const KeySpec& spec, const toml::node& node,
                           const std::string& key) const {
        nlohmann::json value = to_json(node, key);
        if (auto problem = check_value(spec, value); !problem.empty())
            fail(line_of(node), key, problem);
        if (spec.is_path && value.is_string())
            value = resolved_path(value.get<std::string>());
        return value;
    }

    static std::vector<std::string> key_names(const Domain& domain, bool factors_only) {
        std::vector<std::string> names;
        if (factors_only)
            names.push_back("repeat");
        for (const auto& spec : domain.keys)
            if (!factors_only || spec.factor)
                names.push_back(spec.name);
        return names;
    }

    const std::string& origin() const { return origin_; }

    // A relative path in the file means a path from the file's own folder, so an experiment
    // file and its design can move together and be run from anywhere.
    std::string resolved_path(const std::string& text) const {
        if (text.empty() || std::filesystem::path(text).is_absolute())
            return text;
        auto folder = std::filesystem::absolute(std::filesystem::path(origin_)).parent_path();
        return (folder / text).lexically_normal().string();
    }

private:
    std::string origin_;
};

void read_experiment_table(const Reader& in, const toml::table& table, ExperimentSpec& spec,
                           const std::vector<Domain>& domains) {
    for (const auto& [name, node] : table) {
        std::string key = "experiment." + std::string(name.str());
        if (name == "name") {
            spec.name = in.string_value(node, key);
            if (spec.name.empty())
                in.fail(line_of(node), key, "must not be empty");
        } else if (name == "description") {
            spec.description = in.string_value(node, key);
        } else if (name == "design") {
            spec.design = in.string_value(node, key);
            if (spec.design != "one-at-a-time" && spec.design != "grid")
                in.fail(line_of(node), key,
                        "\"" + spec.design + "\" is not one of: one-at-a-time, grid");
        } else if (name == "repeats") {
            spec.repeats = static_cast<int>(in.integer_value(node, key, 1, kMaxValues));
            spec.repeats_line = line_of(node);
        } else if (name == "baseline_repeats") {
            spec.baseline_repeats = static_cast<int>(in.integer_value(node, key, 0, kMaxValues));
            spec.baseline_repeats_line = line_of(node);
        } else if (name == "equiv_vectors") {
            spec.equiv_vectors = static_cast<int>(in.integer_value(node, key, 0, kMaxValues));
        } else if (name == "equiv_prove") {
            spec.equiv_prove_s = static_cast<int>(in.integer_value(node, key, 0, kMaxProveSeconds));
        } else if (name == "equiv_cycles") {
            spec.equiv_cycles = static_cast<int>(in.integer_value(node, key, 1, 1000000));
        } else if (name == "equiv_clock") {
            spec.equiv_clock = in.string_value(node, key);
            if (!is_identifier(spec.equiv_clock))
                in.fail(line_of(node), key, "\"" + spec.equiv_clock + "\" is not a port name");
        } else if (name == "equiv_hold") {
            // Inputs held at 0 or 1 through the random-stimulus check (a reset, an enable).
            for (const auto& [input, value] : in.table_value(node, key)) {
                std::string held = key + "." + std::string(input.str());
                if (!is_identifier(input.str()))
                    in.fail(line_of(input), held, "not a port name");
                std::optional<bool> level;
                if (auto b = value.as_boolean())
                    level = b->get();
                else if (auto i = value.as_integer(); i && (i->get() == 0 || i->get() == 1))
                    level = i->get() == 1;
                if (!level)
                    in.fail(line_of(value), held, "expected 0 or 1 (or true/false)");
                spec.equiv_hold[std::string(input.str())] = *level;
            }
        } else if (name == "seed") {
            spec.root_seed = in.integer_value(node, key, 0, INT64_MAX);
        } else if (name == "domains") {
            auto array = node.as_array();
            if (!array || array->empty())
                in.fail(line_of(node), key, "expected a non-empty array of domain names");
            std::vector<std::string> valid;
            for (const auto& domain : domains)
                valid.push_back(domain.kind);
            spec.domains.clear();
            for (const auto& element : *array) {
                std::string kind = in.string_value(element, key);
                if (std::find(valid.begin(), valid.end(), kind) == valid.end())
                    in.fail(line_of(element), key,
                            "unknown domain \"" + kind + "\" (valid domains: " + join(valid) + ")");
                if (std::find(spec.domains.begin(), spec.domains.end(), kind) != spec.domains.end())
                    in.fail(line_of(element), key, "domain \"" + kind + "\" listed twice");
                spec.domains.push_back(kind);
            }
        } else {
            in.fail(line_of(name), key, "unknown key (valid keys: " + join(kExperimentKeys) + ")");
        }
    }
}

// The values of a study: `values = [...]` or `from`/`to`/`step` for integer factors.
void read_study_values(const Reader& in, const Domain& domain, const toml::table& table,
                       const std::string& prefix, StudySpec& study) {
    const KeySpec* spec = nullptr;
    for (const auto& key : domain.keys)
        if (key.name == study.factor)
            spec = &key;
    if (auto values = table.get("values")) {
        if (table.contains("from") || table.contains("to"))
            in.fail(line_of(*values), prefix + "values", "give either values or from/to, not both");
        auto array = values->as_array();
        if (!array || array->empty())
            in.fail(line_of(*values), prefix + "values", "expected a non-empty array");
        for (const auto& element : *array)
            study.values.push_back(in.checked(*spec, element, prefix + "values"));
        return;
    }
    auto from = table.get("from");
    auto to = table.get("to");
    if (!from || !to)
        in.fail(study.line, prefix + "values",
                "missing: give values = [...] or from = A, to = B (integers)");
    std::int64_t first = in.integer_value(*from, prefix + "from", INT64_MIN / 4, INT64_MAX / 4);
    std::int64_t last = in.integer_value(*to, prefix + "to", INT64_MIN / 4, INT64_MAX / 4);
    std::int64_t step = 1;
    if (auto node = table.get("step"))
        step = in.integer_value(*node, prefix + "step", 1, INT64_MAX / 4);
    if (last < first)
        in.fail(line_of(*to), prefix + "to", "must not be less than from");
    if ((last - first) / step >= kMaxValues)
        in.fail(line_of(*to), prefix + "to", "more than 100000 values");
    for (std::int64_t value = first; value <= last; value += step) {
        nlohmann::json json_value = value;
        if (auto problem = check_value(*spec, json_value); !problem.empty())
            in.fail(line_of(value == first ? *from : *to), prefix + "from", problem);
        study.values.push_back(json_value);
    }
}

StudySpec read_study(const Reader& in, const Domain& domain, const toml::table& table,
                     const std::string& prefix) {
    StudySpec study;
    study.line = line_of(table);
    study.key = prefix;
    if (auto node = table.get("values") ? table.get("values") : table.get("to"))
        study.values_line = line_of(*node);
    if (auto node = table.get("repeats") ? table.get("repeats") : table.get("count"))
        study.replicates_line = line_of(*node);
    for (const auto& [name, node] : table)
        if (std::find(kStudyKeys.begin(), kStudyKeys.end(), name.str()) == kStudyKeys.end())
            in.fail(line_of(name), prefix + std::string(name.str()),
                    "unknown key (valid keys: " + join(kStudyKeys) + ")");
    auto factor = table.get("factor");
    if (!factor)
        in.fail(study.line, prefix + "factor", "missing (which factor does this study vary?)");
    study.factor = in.string_value(*factor, prefix + "factor");
    auto factors = Reader::key_names(domain, true);
    if (std::find(factors.begin(), factors.end(), study.factor) == factors.end()) {
        bool is_key = std::any_of(domain.keys.begin(), domain.keys.end(),
                                  [&](const KeySpec& k) { return k.name == study.factor; });
        in.fail(line_of(*factor), prefix + "factor",
                (is_key ? "\"" + study.factor + "\" cannot be varied"
                        : "unknown factor \"" + study.factor + "\"") +
                    " (valid factors: " + join(factors) + ")");
    }
    if (auto node = table.get("name")) {
        study.name = in.string_value(*node, prefix + "name");
        if (study.name.empty())
            in.fail(line_of(*node), prefix + "name", "must not be empty");
    }
    if (auto node = table.get("optional")) {
        auto flag = node->as_boolean();
        if (!flag)
            in.fail(line_of(*node), prefix + "optional", "expected true or false");
        study.optional = flag->get();
    }
    if (auto node = table.get("repeats"))
        study.repeats =
            static_cast<int>(in.integer_value(*node, prefix + "repeats", 1, kMaxValues));
    if (auto node = table.get("with")) {
        for (const auto& [name, value] : in.table_value(*node, prefix + "with")) {
            if (name.str() == study.factor)
                in.fail(line_of(name), prefix + "with." + std::string(name.str()),
                        "is the factor of this study; list it in values instead");
            study.with[std::string(name.str())] =
                in.key_value(domain, name, value, prefix + "with.", false);
        }
    }
    if (study.factor == "repeat") {
        for (const char* key : {"values", "from", "to", "step", "repeats"})
            if (auto node = table.get(key))
                in.fail(line_of(*node), prefix + key,
                        "not used by a repeat study (give count = N)");
        auto count = table.get("count");
        if (!count)
            in.fail(study.line, prefix + "count", "missing (how many repeats?)");
        study.count = static_cast<int>(in.integer_value(*count, prefix + "count", 1, kMaxValues));
        return study;
    }
    if (auto count = table.get("count"))
        in.fail(line_of(*count), prefix + "count",
                "only a repeat study takes count; give values = [...]");
    read_study_values(in, domain, table, prefix, study);
    return study;
}

DomainSpec read_domain_table(const Reader& in, const Domain& domain, const toml::table& table) {
    DomainSpec spec;
    spec.domain = &domain;
    for (const auto& [name, node] : table) {
        if (name == "vary") {
            auto array = node.as_array();
            if (!array)
                in.fail(line_of(node), domain.kind + ".vary",
                        "expected [[" + domain.kind + ".vary]] tables");
            for (std::size_t i = 0; i < array->size(); ++i) {
                std::string prefix = domain.kind + ".vary[" + std::to_string(i + 1) + "].";
                const auto& element = *array->get(i);
                spec.studies.push_back(
                    read_study(in, domain, in.table_value(element, prefix), prefix));
            }
            continue;
        }
        spec.baseline[std::string(name.str())] =
            in.key_value(domain, name, node, domain.kind + ".", false);
        spec.baseline_lines[std::string(name.str())] = line_of(name);
    }
    return spec;
}

} // namespace

ExperimentSpec read_experiment(std::string_view text, const std::string& origin,
                               const std::vector<Domain>& domains) {
    Reader in(origin);
    toml::table root;
    try {
        root = toml::parse(text, origin);
    } catch (const toml::parse_error& error) {
        in.fail(static_cast<long>(error.source().begin.line), "",
                "invalid TOML: " + std::string(error.description()));
    }
    ExperimentSpec spec;
    std::vector<std::string> valid_tables{"experiment"};
    for (const auto& domain : domains)
        valid_tables.push_back(domain.kind);
    for (const auto& [name, node] : root) {
        auto domain = std::find_if(domains.begin(), domains.end(),
                                   [&table = name](const Domain& d) { return table == d.kind; });
        if (name == "experiment") {
            read_experiment_table(in, in.table_value(node, "experiment"), spec, domains);
        } else if (domain != domains.end()) {
            spec.tables.push_back(
                read_domain_table(in, *domain, in.table_value(node, domain->kind)));
        } else {
            in.fail(line_of(name), std::string(name.str()),
                    "unknown table (valid tables: " + join(valid_tables) + ")");
        }
    }
    if (spec.domains.empty()) {
        // Without an explicit list, the domains that have a table run.
        for (const auto& table : spec.tables)
            spec.domains.push_back(table.domain->kind);
        if (spec.domains.empty())
            in.fail(1, "experiment.domains",
                    "no domain to run: add a [toolchain] or [train] table or list domains");
    }
    return spec;
}

} // namespace detlab::sweep
