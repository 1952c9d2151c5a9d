#include "harness/config_keys/config_keys.h"

#include "harness/util/util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace detlab {

namespace {
const char* type_name(KeySpec::Type type) {
    switch (type) {
    case KeySpec::Type::integer:
        return "an integer";
    case KeySpec::Type::real:
        return "a number";
    case KeySpec::Type::boolean:
        return "true or false";
    case KeySpec::Type::string:
        return "a string";
    case KeySpec::Type::table:
        return "a table of name = integer or \"text\"";
    case KeySpec::Type::list:
        return "a list of strings";
    }
    return "?";
}
} // namespace

namespace {
// Integer keys show integer bounds ("[1, 64]", not "[1.0, 64.0]").
std::string bound_text(const KeySpec& spec, double bound) {
    if (spec.type == KeySpec::Type::integer)
        return std::to_string(static_cast<long long>(bound));
    return nlohmann::json(bound).dump();
}
} // namespace

std::string check_value(const KeySpec& spec, const nlohmann::json& value) {
    bool type_ok = false;
    switch (spec.type) {
    case KeySpec::Type::integer:
        type_ok = value.is_number_integer();
        break;
    case KeySpec::Type::real:
        type_ok = value.is_number();
        break;
    case KeySpec::Type::boolean:
        type_ok = value.is_boolean();
        break;
    case KeySpec::Type::string:
        type_ok = value.is_string();
        break;
    case KeySpec::Type::table:
        type_ok = value.is_object();
        break;
    case KeySpec::Type::list:
        type_ok = value.is_array() && std::all_of(value.begin(), value.end(),
                                                  [](const auto& e) { return e.is_string(); });
        break;
    }
    if (!type_ok)
        return std::string("expected ") + type_name(spec.type) + ", got " + value.dump();
    if (value.is_object())
        for (const auto& [name, entry] : value.items()) {
            // The names and values reach a yosys script: only identifiers and integers do.
            if (!is_identifier(name))
                return "\"" + name + "\" is not an identifier";
            if (entry.is_string() && !is_plain_text(entry.get<std::string>()))
                return name + ": " + entry.dump() +
                       " has a character other than letters, digits and _ . + - / :";
            if (!entry.is_number_integer() && !entry.is_string())
                return name + ": expected an integer or a string, got " + entry.dump();
        }
    if (double number = value.is_number() ? value.get<double>() : 0; !std::isfinite(number))
        return std::string("value ") +
               (std::isnan(number) ? "nan"
                : number > 0       ? "inf"
                                   : "-inf") +
               " is not a finite number"; // NaN would pass every bound
    if (value.is_number() && spec.min < spec.max) {
        double number = value.get<double>();
        if (number < spec.min || number > spec.max)
            return "value " + value.dump() + " is out of range [" + bound_text(spec, spec.min) +
                   ", " + bound_text(spec, spec.max) + "]";
    }
    if (value.is_string() && !spec.choices.empty()) {
        auto text = value.get<std::string>();
        bool found = false;
        for (const auto& choice : spec.choices)
            found = found || choice == text;
        if (!found) {
            return "\"" + text + "\" is not one of: " + join(spec.choices);
        }
    }
    if (spec.check)
        return spec.check(value);
    return {};
}

namespace {
// "a,b,c" -> {a, b, c}; "" -> {}.
std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start < text.size()) {
        auto comma = text.find(',', start);
        items.push_back(
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        start = comma == std::string::npos ? text.size() : comma + 1;
    }
    return items;
}
} // namespace

nlohmann::json parse_key_value(const KeySpec& spec, const std::string& text,
                               const std::string& where) {
    auto fail = [&](const std::string& problem) -> nlohmann::json {
        throw InputError(input_error_message("command line", 0, where, problem));
    };
    switch (spec.type) {
    case KeySpec::Type::integer: {
        long long value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size())
            return fail("\"" + text + "\" is not an integer");
        return value;
    }
    case KeySpec::Type::real: {
        auto value = nlohmann::json::parse(text, nullptr, false);
        if (!value.is_number())
            return fail("\"" + text + "\" is not a number");
        return value;
    }
    case KeySpec::Type::boolean:
        if (text == "true" || text == "false")
            return text == "true";
        return fail("\"" + text + "\" is not true or false");
    case KeySpec::Type::string:
        return text;
    case KeySpec::Type::table: {
        // NAME=VALUE[,NAME=VALUE...]: an integer VALUE is an integer, anything else a string
        // ("..." around it makes digits a string too).
        nlohmann::json table = nlohmann::json::object();
        for (const auto& item : split_commas(text)) {
            auto equals = item.find('=');
            if (equals == std::string::npos)
                return fail("\"" + item + "\" is not NAME=VALUE (e.g. WIDTH=8,memfile=sw/a.hex)");
            std::string value_text = item.substr(equals + 1);
            long long value = 0;
            auto [end, error] =
                std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
            if (error == std::errc() && end == value_text.data() + value_text.size())
                table[item.substr(0, equals)] = value;
            else if (value_text.size() >= 2 && value_text.front() == '"' &&
                     value_text.back() == '"')
                table[item.substr(0, equals)] = value_text.substr(1, value_text.size() - 2);
            else
                table[item.substr(0, equals)] = value_text;
        }
        return table;
    }
    case KeySpec::Type::list: {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& item : split_commas(text))
            list.push_back(item);
        return list;
    }
    }
    return fail("unsupported key type");
}

nlohmann::json default_config(const std::vector<KeySpec>& keys) {
    nlohmann::json config = nlohmann::json::object();
    for (const auto& key : keys)
        config[key.name] = key.default_value;
    return config;
}

namespace {
bool applies(const KeySpec& spec, const nlohmann::json& config) {
    return !spec.applies_when || !config.contains(spec.applies_when->key) ||
           config.at(spec.applies_when->key) == spec.applies_when->value;
}

std::string condition_text(const KeySpec::Condition& condition) {
    return condition.key + " = " + condition.value.dump();
}
} // namespace

std::string KeySpec::allowed_text() const {
    std::string text = type_name(type);
    if (!choices.empty())
        text = "one of " + join(choices);
    else if (min < max)
        text += " in [" + bound_text(*this, min) + ", " + bound_text(*this, max) + "]";
    std::string shown =
        default_value.is_string() ? default_value.get<std::string>() : default_value.dump();
    text += "; default " + (shown.empty() ? std::string("(empty)") : shown);
    if (applies_when)
        text += "; only when " + condition_text(*applies_when);
    return text;
}

std::string inapplicable_key_problem(const std::vector<KeySpec>& keys,
                                     const nlohmann::json& config) {
    for (const auto& spec : keys)
        if (config.contains(spec.name) && !applies(spec, config))
            return spec.name + ": applies only when " + condition_text(*spec.applies_when) +
                   " (here " + spec.applies_when->key + " = " +
                   config.at(spec.applies_when->key).dump() + ")";
    return {};
}

nlohmann::json complete_config(const std::vector<KeySpec>& keys, const nlohmann::json& partial,
                               const std::string& origin) {
    nlohmann::json config = default_config(keys);
    for (const auto& [name, value] : partial.items()) {
        const KeySpec* spec = nullptr;
        for (const auto& key : keys)
            if (key.name == name)
                spec = &key;
        if (!spec) {
            std::vector<std::string> valid;
            for (const auto& key : keys)
                valid.push_back(key.name);
            throw InputError(origin + ": " + name + ": unknown key (valid keys: " + join(valid) +
                             ")");
        }
        if (auto problem = check_value(*spec, value); !problem.empty())
            throw InputError(origin + ": " + name + ": " + problem);
        config[name] = value;
    }
    for (const auto& spec : keys)
        if (!applies(spec, config)) {
            if (partial.contains(spec.name))
                throw InputError(origin + ": " + inapplicable_key_problem(keys, config));
            config.erase(spec.name);
        }
    return config;
}

nlohmann::json identity_config(const std::vector<KeySpec>& keys, const nlohmann::json& config) {
    nlohmann::json identity = config;
    for (const auto& key : keys)
        if (key.omit_at_default && identity.contains(key.name) &&
            identity.at(key.name) == key.default_value)
            identity.erase(key.name);
    return identity;
}

} // namespace detlab
