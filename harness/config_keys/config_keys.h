// Configuration keys: how a domain publishes its keys (type, range, default, documentation) and
// how experiment files and command-line options are completed and validated against them.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace detlab {

// Shared by the toolchain, training and program domains.
// Each domain publishes its keys (type, range, default, documentation); the sweep validates
// experiment files against them and docs/experiments.md lists them. A key marked `factor` can
// be varied in a study; "repeat" is a factor of every domain and is not a key.
struct KeySpec {
    // table: a TOML table / JSON object of identifier -> integer or plain string (a design's
    // parameters and defines); list: a TOML array of strings (a design's folders and files).
    enum class Type { integer, real, boolean, string, table, list };
    std::string name;
    Type type = Type::integer;
    nlohmann::json default_value;
    std::string doc;
    double min = 0, max = 0;          // inclusive range for numbers when min < max
    std::vector<std::string> choices; // allowed values for strings (empty: any)
    bool factor = true;               // may be varied in a study
    // Keys added after the configuration identity was defined set this: at its default the key
    // is left out of the identity, so adding it keeps every stored configuration's id.
    bool omit_at_default = false;
    // A file-system path: relative values in an experiment file are resolved against the
    // file's folder (on the command line, against the current directory).
    bool is_path = false;
    // Set when the key means something only for one value of another key (the accelerator's
    // `array` only for top = detlab_top): elsewhere it is left out of the configuration, and
    // giving it is an error.
    struct Condition {
        std::string key;
        nlohmann::json value;
    };
    std::optional<Condition> applies_when = std::nullopt;
    // A check beyond the type (a list of paths that must stay inside rtl_dir): why `value` is
    // not acceptable, or empty. Runs after the type check, for experiment files and options.
    std::function<std::string(const nlohmann::json&)> check = nullptr;
    // One line for --help and the docs: the type, the allowed values or range, the default.
    std::string allowed_text() const;
};

// Why `value` is not acceptable for `spec`, or empty when it is.
std::string check_value(const KeySpec& spec, const nlohmann::json& value);

// Parses a command-line option's text into the JSON value `spec` expects (no range check: that
// is check_value's job); throws InputError naming `where` (e.g. "--seed") when it does not parse.
nlohmann::json parse_key_value(const KeySpec& spec, const std::string& text,
                               const std::string& where);

// A baseline configuration with every key at its default.
nlohmann::json default_config(const std::vector<KeySpec>& keys);

// Fills in defaults and validates; throws InputError("<origin>: key: problem") on an unknown
// key or bad value, listing the valid keys for an unknown one. Keys whose `applies_when` does
// not hold are left out (and are an error when given).
nlohmann::json complete_config(const std::vector<KeySpec>& keys, const nlohmann::json& partial,
                               const std::string& origin);

// The part of a completed configuration that its identity hashes: every key, except keys marked
// omit_at_default that are at their default value.
// Why a completed configuration holds a key that does not apply to it (see
// KeySpec::applies_when), or empty. For configurations changed after complete_config.
std::string inapplicable_key_problem(const std::vector<KeySpec>& keys,
                                     const nlohmann::json& config);

nlohmann::json identity_config(const std::vector<KeySpec>& keys, const nlohmann::json& config);

} // namespace detlab
