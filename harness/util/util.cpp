#include "harness/util/util.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
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
    // Appended piece by piece: GCC 12's -Wrestrict misreads `":" + std::to_string(line)` here.
    std::string message = file;
    if (line > 0)
        message.append(":").append(std::to_string(line));
    if (!key.empty())
        message.append(": ").append(key);
    return message.append(": ").append(problem);
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

} // namespace detlab
