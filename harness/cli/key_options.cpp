// Command-line options made from a domain's key table, so `--help` shows the same types,
// allowed values and defaults that validate an experiment file.
#include "harness/cli/cli.h"

#include <algorithm>

namespace detlab::cli {

std::string option_name(const std::string& key) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    return "--" + name;
}

namespace {
std::string value_type_name(const KeySpec& spec) {
    switch (spec.type) {
    case KeySpec::Type::integer:
        return "INT";
    case KeySpec::Type::real:
        return "NUMBER";
    case KeySpec::Type::boolean:
        return "BOOL";
    case KeySpec::Type::table:
        return "NAME=VALUE,...";
    case KeySpec::Type::list:
        return "A,B,...";
    case KeySpec::Type::string:
        break;
    }
    std::string choices;
    for (const auto& choice : spec.choices)
        choices += (choices.empty() ? "" : "|") + choice;
    return choices.empty() ? "TEXT" : choices;
}
} // namespace

void add_observation_options(CLI::App& command, int& repeat, std::string& experiment) {
    command
        .add_option("--repeat", repeat,
                    "repeat index to file the observation under (default: the next free one of "
                    "this configuration)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--experiment", experiment,
                       "experiment name to file the run under (default: adhoc)");
}

void add_key_options(CLI::App& command, const std::vector<KeySpec>& keys, KeyValues& values) {
    for (const auto& spec : keys) {
        auto* option = command.add_option_function<std::string>(
            option_name(spec.name),
            [&values, key = spec.name](const std::string& text) { values[key] = text; },
            spec.doc + " [" + spec.allowed_text() + "]");
        option->type_name(value_type_name(spec));
        if (spec.type == KeySpec::Type::boolean)
            option->expected(0, 1)->default_str("true"); // "--aslr false", "--rtl-rename"
    }
}

nlohmann::json partial_config(const std::vector<KeySpec>& keys, const KeyValues& values) {
    nlohmann::json partial = nlohmann::json::object();
    for (const auto& spec : keys)
        if (auto found = values.find(spec.name); found != values.end())
            partial[spec.name] = parse_key_value(spec, found->second, option_name(spec.name));
    return partial;
}

} // namespace detlab::cli
