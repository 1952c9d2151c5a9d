#include "harness/common/common.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <openssl/evp.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace detlab {

std::string input_error_message(const std::string& file, long line, const std::string& key,
                                const std::string& problem) {
    std::string message = file;
    if (line > 0)
        message += ":" + std::to_string(line);
    if (!key.empty())
        message += ": " + key;
    return message + ": " + problem;
}

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (std::size_t i = 0; i < items.size(); ++i)
        text += (i ? ", " : "") + items[i]; // by position: an empty first item still gets one
    return text;
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL SHA-256 failed");
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(hex_digits[digest[i] >> 4]);
        hex.push_back(hex_digits[digest[i] & 0xf]);
    }
    return hex;
}

std::string sha256_hex(std::string_view text) {
    return sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Bytes read_file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path.string() + " for reading");
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_file_text(const std::filesystem::path& path) {
    Bytes bytes = read_file_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

void write_file(const std::filesystem::path& path, std::string_view text) {
    write_file(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

double unix_time_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

double monotonic_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::filesystem::path source_root() {
    if (const char* root = std::getenv("DETLAB_ROOT"); root && *root)
        return root;
    return DETLAB_SOURCE_ROOT;
}

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
        return "unknown";
    return name;
}

std::string file_sha256(const std::filesystem::path& path) {
    struct Seen {
        std::int64_t size = 0, mtime_ns = 0;
        std::string sha256;
    };
    static std::mutex mutex;
    static std::map<std::string, Seen> seen;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw std::runtime_error(path.string() + ": cannot read (" + std::strerror(errno) + ")");
    std::int64_t mtime_ns =
        static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    std::string key = std::filesystem::absolute(path).string();
    {
        std::lock_guard lock(mutex);
        auto found = seen.find(key);
        if (found != seen.end() && found->second.size == info.st_size &&
            found->second.mtime_ns == mtime_ns)
            return found->second.sha256;
    }
    std::string sha = sha256_hex(read_file_bytes(path));
    std::lock_guard lock(mutex);
    seen[key] = {static_cast<std::int64_t>(info.st_size), mtime_ns, sha};
    return sha;
}

std::filesystem::path make_temp_dir(std::string_view prefix, const std::filesystem::path& parent) {
    std::filesystem::path base = parent.empty() ? std::filesystem::temp_directory_path() : parent;
    std::filesystem::create_directories(base);
    std::random_device entropy;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = base / (std::string(prefix) + "-" + std::to_string(entropy()));
        if (std::filesystem::create_directory(candidate))
            return candidate;
    }
    throw std::runtime_error("cannot create a temporary directory under " + base.string());
}

TempDir::TempDir(std::string_view prefix, const std::filesystem::path& parent)
    : path_(make_temp_dir(prefix, parent)) {}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), keep_(other.keep_) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        TempDir old(std::move(*this));
        path_ = std::exchange(other.path_, {});
        keep_ = other.keep_;
    }
    return *this;
}

TempDir::~TempDir() {
    if (path_.empty() || keep_)
        return;
    std::error_code ignored; // a destructor must not throw; a leftover is only disk space
    std::filesystem::remove_all(path_, ignored);
}

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

DeterministicRng::DeterministicRng(std::uint64_t seed) : engine_(seed) {}

std::uint64_t DeterministicRng::below(std::uint64_t bound) {
    if (bound <= 1)
        return 0;
    // Rejection of the top partial block makes every value equally likely.
    std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                          std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t x;
    do
        x = next();
    while (x >= limit);
    return x % bound;
}

std::uint64_t derive_seed(std::uint64_t root, std::string_view stream) {
    // FNV-1a of the stream name: stable across platforms and compilers, unlike std::hash.
    std::uint64_t name_hash = 0xcbf29ce484222325ULL;
    for (char c : stream) {
        name_hash ^= static_cast<unsigned char>(c);
        name_hash *= 0x100000001b3ULL;
    }
    return splitmix64(splitmix64(root) ^ name_hash);
}

namespace {
void put_u32(Bytes& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

class Reader {
public:
    Reader(std::span<const std::uint8_t> bytes, const std::string& origin)
        : bytes_(bytes), origin_(origin) {}
    std::uint32_t u32() {
        need(4);
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i)
            value |= static_cast<std::uint32_t>(bytes_[offset_ + i]) << (8 * i);
        offset_ += 4;
        return value;
    }
    std::span<const std::uint8_t> take(std::size_t count) {
        need(count);
        auto part = bytes_.subspan(offset_, count);
        offset_ += count;
        return part;
    }
    bool at_end() const { return offset_ == bytes_.size(); }
    [[noreturn]] void fail(const std::string& problem) const {
        throw std::runtime_error(origin_ + ": byte " + std::to_string(offset_) + ": " + problem);
    }

private:
    void need(std::size_t count) const {
        if (bytes_.size() - offset_ < count)
            fail("truncated (needs " + std::to_string(count) + " more bytes)");
    }
    std::span<const std::uint8_t> bytes_;
    std::string origin_;
    std::size_t offset_ = 0;
};
} // namespace

Bytes encode_tensors(const std::vector<Tensor>& tensors) {
    Bytes out{'D', 'L', 'T', 'N'};
    put_u32(out, 1);
    put_u32(out, static_cast<std::uint32_t>(tensors.size()));
    for (const auto& tensor : tensors) {
        std::size_t count = 1;
        for (auto dim : tensor.shape)
            count *= dim;
        if (count != tensor.values.size())
            throw std::invalid_argument("tensor " + tensor.name + ": shape does not match values");
        put_u32(out, static_cast<std::uint32_t>(tensor.name.size()));
        out.insert(out.end(), tensor.name.begin(), tensor.name.end());
        put_u32(out, static_cast<std::uint32_t>(tensor.shape.size()));
        for (auto dim : tensor.shape)
            put_u32(out, dim);
        for (float value : tensor.values) {
            std::uint32_t bits;
            std::memcpy(&bits, &value, sizeof bits);
            put_u32(out, bits);
        }
    }
    return out;
}

std::vector<Tensor> decode_tensors(std::span<const std::uint8_t> bytes, const std::string& origin) {
    Reader in(bytes, origin);
    auto magic = in.take(4);
    if (std::string(magic.begin(), magic.end()) != "DLTN")
        in.fail("not a detlab tensor file (bad magic)");
    if (auto version = in.u32(); version != 1)
        in.fail("unsupported version " + std::to_string(version));
    std::uint32_t count = in.u32();
    std::vector<Tensor> tensors;
    for (std::uint32_t t = 0; t < count; ++t) {
        Tensor tensor;
        auto name = in.take(in.u32());
        tensor.name.assign(name.begin(), name.end());
        std::uint32_t rank = in.u32();
        if (rank > 8)
            in.fail("tensor " + tensor.name + " has implausible rank " + std::to_string(rank));
        // Checked before each multiplication: a product that wrapped around (found by fuzzing)
        // gave a tensor whose shape claimed far more values than it held.
        std::size_t elements = 1;
        for (std::uint32_t d = 0; d < rank; ++d) {
            std::uint32_t dim = in.u32();
            tensor.shape.push_back(dim);
            if (dim != 0 && elements > bytes.size() / dim)
                in.fail("tensor " + tensor.name + " claims more values than the file holds");
            elements *= dim;
        }
        tensor.values.resize(elements);
        for (auto& value : tensor.values) {
            std::uint32_t bits = in.u32();
            std::memcpy(&value, &bits, sizeof bits);
        }
        tensors.push_back(std::move(tensor));
    }
    if (!in.at_end())
        in.fail("trailing bytes after the last tensor");
    return tensors;
}

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

bool is_identifier(std::string_view text) {
    auto letter = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    if (text.empty() || !letter(text[0]))
        return false;
    return std::all_of(text.begin(), text.end(),
                       [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

bool is_plain_text(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("_.+-/:").find(c) != std::string_view::npos;
    });
}

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
