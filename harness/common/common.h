// Small pieces every module needs: errors with exit codes, hashing, files, clocks.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace detlab {

using Bytes = std::vector<std::uint8_t>;

// Bad input from the user (experiment file, CLI argument, database path).
// The CLI prints what() and exits with code 2; nothing stored may change before it is thrown.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Bad input of one kind: the configuration names something this machine has not installed (a
// toolchain root). Like any InputError it exits 2; an experiment's study marked `optional` is
// skipped with a note instead.
class UnavailableError : public InputError {
public:
    using InputError::InputError;
};

// Builds the "file:line: key: problem" message format used for every input error.
std::string input_error_message(const std::string& file, long line, const std::string& key,
                                const std::string& problem);

// "a, b, c": the items joined for messages.
std::string join(const std::vector<std::string>& items);

// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, inner quotes doubled.
// A cell a spreadsheet would run as a formula (starting with = + - @ TAB or CR and not a plain
// number) is neutralised as OWASP's CSV-injection guidance says: a single quote in front, and
// the cell quoted.
std::string csv_cell(const std::string& text);

// Text from data (stored names, keys, messages) made safe for a terminal: control characters
// (C0, DEL, C1) and bytes that are not UTF-8 become visible escapes (\n, \x1b, \u009b), so no
// escape sequence reaches the terminal. Text longer than `max_bytes` is cut there and says how
// long it was, so a 1 MB key is not echoed whole.
std::string terminal_safe(std::string_view text, std::size_t max_bytes = 1024);

// Whether a name from data may become a file name in the working folder as it is: not empty,
// no '/', not "." or "..", no "..", no control characters, not starting with '-' (an option to
// the next tool).
bool is_plain_file_name(std::string_view name);

// SHA-256 of raw bytes as 64 lowercase hex digits.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view text);

// Whole-file I/O; errors name the path.
Bytes read_file_bytes(const std::filesystem::path& path);
std::string read_file_text(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
void write_file(const std::filesystem::path& path, std::string_view text);

// Seconds since the Unix epoch (wall clock) and a monotonic clock for durations.
double unix_time_now();
double monotonic_seconds();

// The project's source tree (rtl/, data/, experiments/): $DETLAB_ROOT if set, else the
// checkout the binary was built from.
std::filesystem::path source_root();

// This machine's host name ("unknown" when it cannot be read): recorded on every run.
std::string host_name();

// SHA-256 of a file's bytes, remembered per process for a path whose size and modification time
// are unchanged (a sweep asks for the same RTL files and data set once per planned run).
std::string file_sha256(const std::filesystem::path& path);

// A fresh directory under the system temp dir (or `parent`), removed by the caller (TempDir
// below removes it itself).
std::filesystem::path make_temp_dir(std::string_view prefix,
                                    const std::filesystem::path& parent = {});

// A fresh directory that is removed, with everything in it, when the object goes out of scope
// (unless keep() was called: e.g. $DETLAB_KEEP_BUILD). Move-only.
class TempDir {
public:
    explicit TempDir(std::string_view prefix, const std::filesystem::path& parent = {});
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    void keep() { keep_ = true; }

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

// Derives an independent 64-bit seed for a named stream from a root seed (SplitMix64 over the
// root and a hash of the name), so init, shuffle and rounding never share a stream.
std::uint64_t derive_seed(std::uint64_t root, std::string_view stream);

// SplitMix64's step: x + the golden gamma, mixed. Successive values of state + k * gamma give
// its stream; every platform computes the same numbers.
std::uint64_t splitmix64(std::uint64_t x);

// The project's random source (like nextpnr's DeterministicRNG): mt19937_64, whose raw output
// the C++ standard fixes, with every conversion spelled out here, since the standard
// distributions and std::shuffle are implementation-defined. The same seed gives the same
// numbers on every platform and standard library.
class DeterministicRng {
public:
    explicit DeterministicRng(std::uint64_t seed);
    std::uint64_t next() { return engine_(); } // 64 raw bits
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform in [0, bound), exactly (rejection of the top partial block); 0 for bound <= 1.
    std::uint64_t below(std::uint64_t bound);
    // next() % bound: biased by less than bound / 2^64. The streams of the training's shuffles
    // and the equivalence vectors were defined with it, so they keep it.
    std::uint64_t modulo(std::uint64_t bound) { return next() % bound; }

private:
    std::mt19937_64 engine_;
};

// Fisher-Yates from the last element down, drawing with DeterministicRng::modulo.
template <typename T>
void deterministic_shuffle(std::vector<T>& items, DeterministicRng& rng) {
    for (std::size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1], items[rng.modulo(i)]);
}

// ---- Tensor files: how weights and logits are stored as blobs ----
// Format (little-endian): magic "DLTN", u32 version (1), u32 tensor count; per tensor:
// u32 name length, name bytes, u32 rank, rank x u32 dims, then prod(dims) float32 values.
struct Tensor {
    std::string name;
    std::vector<std::uint32_t> shape;
    std::vector<float> values;
};
Bytes encode_tensors(const std::vector<Tensor>& tensors);
// Throws std::runtime_error naming `origin` and the byte offset on malformed input.
std::vector<Tensor> decode_tensors(std::span<const std::uint8_t> bytes,
                                   const std::string& origin = "tensor file");

// ---- Configuration keys shared by the toolchain and training domains ----
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

// A Verilog-style identifier ([A-Za-z_][A-Za-z0-9_]*): names that reach a tool's script.
bool is_identifier(std::string_view text);
// Text that may stand in a tool's script as a quoted string or a plain word: letters, digits
// and _ . + - / : only (no quote, space, ';' or '#' that could end the word or the command).
bool is_plain_text(std::string_view text);

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
