// Generic helpers every module needs and no domain owns (like ccache's util/): input errors with
// exit codes, text safety, hashing, files, clocks, temporary directories, the one seeded random
// source. Nothing here knows a tensor, a configuration key or a tool.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
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

// A fresh directory under the system temp dir (or `parent`), removed by the caller. Nothing
// marks it as detlab's scratch, so nothing but its caller ever removes it (tests, folders the
// caller manages); scratch that must not outlive its process is a TempDir.
std::filesystem::path make_temp_dir(std::string_view prefix,
                                    const std::filesystem::path& parent = {});

// A fresh scratch directory that is removed, with everything in it, when the object goes out of
// scope (unless keep() was called: e.g. $DETLAB_KEEP_BUILD). Move-only.
//
// A process killed with SIGKILL cannot remove its scratch, so the next detlab does (issue 28):
// the directory is named `<prefix>.<pid>.<start>.<random>` (the owner's pid and its start time
// in clock ticks since boot, /proc/<pid>/stat, so a reused pid is not taken for the owner) and
// holds `.detlab-scratch`, a file signed "detlab scratch directory" and flock(2)-locked while
// the owner lives (the kernel drops the lock however the process dies). The first TempDir a
// process makes in a directory first removes the stale scratch there (remove_stale_scratch).
class TempDir {
public:
    explicit TempDir(std::string_view prefix, const std::filesystem::path& parent = {});
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    // The directory becomes the user's: its signature is removed at once, so neither this object
    // nor a later detlab ever deletes it.
    void keep();

private:
    std::filesystem::path path_;
    int lock_fd_ = -1;
    bool keep_ = false;
};

// Removes the scratch directories in `base` left by dead detlab processes and returns how many.
// Only what detlab made goes: a directory (not a symbolic link) named as TempDir names it,
// owned by this user, whose `.detlab-scratch` is a regular file (not a link) with detlab's
// signature, not locked, and whose owner (pid and start time) is gone. Everything else, a
// look-alike included, is left as it is; links inside are removed, never followed. Errors
// leave the directory in place (a leftover is only disk space).
int remove_stale_scratch(const std::filesystem::path& base);

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

// A Verilog-style identifier ([A-Za-z_][A-Za-z0-9_]*): names that reach a tool's script.
bool is_identifier(std::string_view text);
// Text that may stand in a tool's script as a quoted string or a plain word: letters, digits
// and _ . + - / : only (no quote, space, ';' or '#' that could end the word or the command).
bool is_plain_text(std::string_view text);

} // namespace detlab
