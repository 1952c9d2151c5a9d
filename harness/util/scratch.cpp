// Scratch directories that a later detlab can tell from everything else (issue 28). A process
// killed with SIGKILL runs no destructor, so its TempDir stays in $TMPDIR; the next detlab
// removes it, and only it: the name says which process made it, the signed lock file says
// detlab made it, and the flock(2) lock, which the kernel drops when the process dies however
// it dies, says nobody uses it any more. The pid alone would not do (pids are reused, and a
// process in another pid namespace sharing /tmp has a pid that means nothing here), nor would
// the lock alone (a directory is briefly unlocked while it is being made).
#include "harness/invariant/invariant.h"
#include "harness/util/util.h"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <set>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace detlab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLockName = ".detlab-scratch";
constexpr std::string_view kSignature = "detlab scratch directory\n";

struct Owner {
    pid_t pid = 0;
    std::uint64_t start = 0; // clock ticks after boot; 0: unknown (no /proc)
};

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != text.npos)
        return std::nullopt;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// The start time of process `pid` (field 22 of /proc/<pid>/stat), or nothing when there is no
// such process (or no /proc). The command name in field 2 may hold spaces and parentheses, so
// the fields are counted from its last ')'.
std::optional<std::uint64_t> start_ticks(pid_t pid) {
    std::string text;
    try {
        text = read_file_text("/proc/" + std::to_string(pid) + "/stat");
    } catch (const std::exception&) {
        return std::nullopt;
    }
    auto close = text.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::string_view rest = std::string_view(text).substr(close + 1);
    for (int field = 3; field <= 22; ++field) {
        auto begin = rest.find_first_not_of(' ');
        if (begin == rest.npos)
            return std::nullopt;
        rest.remove_prefix(begin);
        auto end = std::min(rest.find(' '), rest.size());
        if (field == 22)
            return parse_number<std::uint64_t>(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    return std::nullopt;
}

// The owner named by `<prefix>.<pid>.<start>.<8 hex digits>`, or nothing for any other name.
std::optional<Owner> owner_from_name(std::string_view name) {
    if (!name.starts_with("detlab"))
        return std::nullopt;
    std::string_view fields[3];
    for (int i = 2; i >= 0; --i) {
        auto dot = name.rfind('.');
        if (dot == std::string_view::npos)
            return std::nullopt;
        fields[i] = name.substr(dot + 1);
        name = name.substr(0, dot);
    }
    if (fields[2].size() != 8 || fields[2].find_first_not_of("0123456789abcdef") != fields[2].npos)
        return std::nullopt;
    auto pid = parse_number<pid_t>(fields[0]);
    auto start = parse_number<std::uint64_t>(fields[1]);
    if (!pid || *pid <= 0 || !start)
        return std::nullopt;
    return Owner{*pid, *start};
}

// Whether the process that made a directory is gone: no process has its pid, or the one that
// has it started at another time (the pid was reused).
bool owner_gone(const Owner& owner) {
    if (auto now = start_ticks(owner.pid))
        return owner.start != 0 && *now != owner.start;
    if (start_ticks(::getpid())) // /proc works and has no such process
        return true;
    return ::kill(owner.pid, 0) != 0 && errno == ESRCH;
}

bool signed_by_detlab(int fd) {
    char head[kSignature.size()];
    return ::pread(fd, head, sizeof head, 0) == static_cast<ssize_t>(sizeof head) &&
           std::string_view(head, sizeof head) == kSignature;
}

// Whether `path` is stale scratch of this user's detlab; then `lock_fd` holds its lock.
bool stale_scratch(const fs::path& path, int& lock_fd) {
    auto owner = owner_from_name(path.filename().string());
    if (!owner || !owner_gone(*owner))
        return false;
    int dir_fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0)
        return false; // a symbolic link, a file, or gone
    struct stat dir {};
    bool ours = ::fstat(dir_fd, &dir) == 0 && dir.st_uid == ::geteuid();
    int fd = ours ? ::openat(dir_fd, kLockName, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
    ::close(dir_fd);
    if (fd < 0)
        return false;
    struct stat lock {};
    if (::fstat(fd, &lock) == 0 && S_ISREG(lock.st_mode) && lock.st_uid == ::geteuid() &&
        ::flock(fd, LOCK_EX | LOCK_NB) == 0 && signed_by_detlab(fd)) {
        lock_fd = fd;
        return true;
    }
    ::close(fd);
    return false;
}

// remove_stale_scratch once per directory and process: the first TempDir there pays for it.
void sweep_once(const fs::path& base) {
    static std::mutex mutex;
    static std::set<std::string> swept;
    std::lock_guard lock(mutex);
    if (swept.insert(fs::absolute(base).lexically_normal().string()).second)
        remove_stale_scratch(base);
}

std::string hex8(std::uint32_t value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text(8, '0');
    for (int i = 7; i >= 0; --i, value >>= 4)
        text[static_cast<std::size_t>(i)] = kDigits[value & 0xf];
    return text;
}

} // namespace

int remove_stale_scratch(const fs::path& base) {
    int removed = 0;
    std::error_code ec;
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
        int lock_fd = -1;
        if (!stale_scratch(it->path(), lock_fd))
            continue;
        std::error_code failed;
        fs::remove_all(it->path(), failed); // removes links inside, never follows them
        removed += failed ? 0 : 1;
        ::close(lock_fd);
    }
    return removed;
}

TempDir::TempDir(std::string_view prefix, const fs::path& parent) {
    DETLAB_ASSERT(prefix.starts_with("detlab") && prefix.find('/') == prefix.npos,
                  "TempDir: the prefix '" + std::string(prefix) +
                      "' must start with detlab and name one directory");
    while (prefix.ends_with('-') || prefix.ends_with('.'))
        prefix.remove_suffix(1);
    fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
    fs::create_directories(base);
    sweep_once(base);
    pid_t pid = ::getpid();
    // Appended piece by piece: GCC 12's -Wrestrict misreads `"." + std::to_string(...)`.
    std::string owner(".");
    owner.append(std::to_string(pid)).append(".");
    owner.append(std::to_string(start_ticks(pid).value_or(0))).append(".");
    std::random_device entropy;
    for (int attempt = 0; attempt < 100 && path_.empty(); ++attempt) {
        auto candidate = base / (std::string(prefix) + owner + hex8(entropy()));
        if (::mkdir(candidate.c_str(), 0777) == 0)
            path_ = candidate;
        else if (errno != EEXIST)
            throw std::system_error(errno, std::generic_category(),
                                    "cannot create a directory in " + base.string());
    }
    if (path_.empty())
        throw std::runtime_error("cannot create a temporary directory under " + base.string());
    // Until the lock is held, the live owner (pid and start time) keeps a sweeper away.
    lock_fd_ = ::open((path_ / kLockName).c_str(),
                      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    bool ready = lock_fd_ >= 0 && ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0 &&
                 ::pwrite(lock_fd_, kSignature.data(), kSignature.size(), 0) ==
                     static_cast<ssize_t>(kSignature.size());
    if (!ready) {
        int error = errno;
        std::error_code ignored;
        fs::remove_all(std::exchange(path_, {}), ignored);
        if (lock_fd_ >= 0)
            ::close(std::exchange(lock_fd_, -1));
        throw std::system_error(error, std::generic_category(),
                                "cannot lock a temporary directory under " + base.string());
    }
}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), lock_fd_(std::exchange(other.lock_fd_, -1)),
      keep_(other.keep_) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        TempDir old(std::move(*this));
        path_ = std::exchange(other.path_, {});
        lock_fd_ = std::exchange(other.lock_fd_, -1);
        keep_ = other.keep_;
    }
    return *this;
}

void TempDir::keep() {
    if (keep_ || path_.empty())
        return;
    keep_ = true;
    ::unlink((path_ / kLockName).c_str()); // unsigned: no later detlab takes it for its own
    if (lock_fd_ >= 0)
        ::close(std::exchange(lock_fd_, -1));
}

TempDir::~TempDir() {
    if (!path_.empty() && !keep_) {
        std::error_code ignored; // a destructor must not throw; a leftover is only disk space
        fs::remove_all(path_, ignored);
    }
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
}

} // namespace detlab
