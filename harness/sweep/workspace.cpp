// Session directories and run claims are flock(2) locks on files in the work root: the kernel
// releases them when their process dies, however it dies, so a killed sweep's leftovers are
// recognisable (an unlocked session) and its claims free for the next invocation.
#include "harness/sweep/workspace.h"

#include "harness/util/util.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace detlab::sweep {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMarker = ".detlab-work-root"; // this root was made by detlab
constexpr const char* kSessionPrefix = "session-";
constexpr const char* kLockName = ".lock";
// The first bytes of a session's lock file: what tells a session detlab made from a user's
// folder that happens to be called "session-*" and hold a ".lock" (issue 28).
constexpr std::string_view kSessionSignature = "detlab run session\n";
// The same for a run's claim file: a claim left by a killed process (its run recorded, its
// unlink never reached) is removed by the next invocation, so the work root can go (issue 30).
constexpr std::string_view kClaimSignature = "detlab run claim\n";
constexpr std::string_view kClaimSuffix = ".claim";

// Whether the locked file `fd` starts with `signature`.
bool signed_by_detlab(int fd, std::string_view signature) {
    char head[32] = {};
    ssize_t n = ::pread(fd, head, signature.size(), 0);
    return n == static_cast<ssize_t>(signature.size()) &&
           std::string_view(head, signature.size()) == signature;
}

bool write_signature(int fd, std::string_view signature) {
    return ::pwrite(fd, signature.data(), signature.size(), 0) ==
           static_cast<ssize_t>(signature.size());
}

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
    throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

// A descriptor holding an exclusive flock on `path` (created), or -1 when another holds it.
int try_lock(const fs::path& path, bool create) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
        if (!create && errno == ENOENT)
            return -1;
        fail("cannot open", path);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK)
            return -1;
        errno = error;
        fail("cannot lock", path);
    }
    return fd;
}

// Run ids are hex today; anything else is hashed so it stays one safe file name.
std::string claim_name(const std::string& run_id) {
    bool plain = !run_id.empty() && run_id.size() <= 128;
    for (char c : run_id)
        plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    return (plain ? run_id : sha256_hex(std::string_view(run_id))) + std::string(kClaimSuffix);
}

} // namespace

RunClaim::RunClaim(RunClaim&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

RunClaim::~RunClaim() {
    if (fd_ < 0)
        return;
    ::unlink(path_.c_str()); // while still locked: a waiter then sees a new inode (see claim)
    ::close(fd_);
}

WorkRoot::WorkRoot(const fs::path& root) : root_(fs::absolute(root)) {
    std::error_code ec;
    auto status = fs::symlink_status(root_, ec);
    if (fs::exists(status) && !fs::is_directory(fs::status(root_, ec)))
        throw InputError("work directory " + root_.string() +
                         " exists and is not a directory; detlab leaves it alone");
    // Another process may remove a root it made (empty but for the marker) between our
    // steps, so creating the root and the session is retried.
    for (int attempt = 0;; ++attempt) {
        if (fs::create_directories(root_, ec) && !ec)
            write_file(root_ / kMarker,
                       std::string_view("made by detlab run; removed when empty\n"));
        try {
            make_session();
            break;
        } catch (const std::system_error&) {
            if (attempt >= 5)
                throw;
        }
    }
    remove_leftovers();
}

void WorkRoot::make_session() {
    // Made under a name that remove_leftovers ignores, locked, then renamed: a session
    // is never seen unlocked while its process lives.
    std::string pattern = (root_ / ".new-session-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        fail("cannot create a directory in", root_);
    fs::path fresh = pattern;
    int fd = try_lock(fresh / kLockName, true);
    if (fd < 0)
        fail("cannot lock", fresh / kLockName);
    if (!write_signature(fd, kSessionSignature)) {
        ::close(fd);
        fail("cannot write", fresh / kLockName);
    }
    fs::path named = root_ / (kSessionPrefix + fresh.filename().string().substr(13));
    if (::rename(fresh.c_str(), named.c_str()) != 0) {
        ::close(fd);
        fail("cannot rename", fresh);
    }
    session_ = named;
    session_lock_ = fd;
}

void WorkRoot::remove_leftovers() const {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
        std::string name = entry.path().filename().string();
        bool session = name.rfind(kSessionPrefix, 0) == 0 && entry.path() != session_ &&
                       entry.is_directory(ec);
        bool claim = name.ends_with(kClaimSuffix) && entry.is_regular_file(ec);
        if ((!session && !claim) || entry.is_symlink(ec))
            continue;
        struct stat owner {};
        if (::lstat(entry.path().c_str(), &owner) != 0 || owner.st_uid != ::geteuid())
            continue; // not made by this user, so not by this user's detlab
        int fd = try_lock(session ? entry.path() / kLockName : entry.path(), false);
        if (fd < 0)
            continue; // alive (a session, or a run being built now), or not detlab's
        // A user's folder or file is left alone. A claim is unlinked while locked, as RunClaim
        // does: a process waiting on this inode then sees a new one (claim() checks), so no run
        // is built twice.
        if (session && signed_by_detlab(fd, kSessionSignature))
            fs::remove_all(entry.path(), ec);
        else if (claim && signed_by_detlab(fd, kClaimSignature))
            ::unlink(entry.path().c_str());
        ::close(fd);
    }
}

WorkRoot::~WorkRoot() {
    std::error_code ec;
    fs::remove_all(session_, ec);
    if (session_lock_ >= 0)
        ::close(session_lock_);
    if (!fs::exists(root_ / kMarker, ec))
        return; // not ours: left as it was found
    for (const auto& entry : fs::directory_iterator(root_, ec))
        if (entry.path().filename() != kMarker)
            return; // still in use (or holds something detlab did not make)
    fs::remove(root_ / kMarker, ec);
    if (!fs::remove(root_, ec) || ec) // someone started a session meanwhile: keep it marked
        write_file(root_ / kMarker, std::string_view("made by detlab run; removed when empty\n"));
}

std::optional<RunClaim> WorkRoot::claim(const std::string& run_id) const {
    fs::path path = root_ / claim_name(run_id);
    for (;;) {
        int fd = try_lock(path, true);
        if (fd < 0)
            return std::nullopt;
        // The previous holder unlinks the file before unlocking it; a lock on that unlinked
        // inode is no claim, so check the name still points at the locked file.
        struct stat held {
        }, named{};
        if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
            held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
            if (!write_signature(fd, kClaimSignature)) {
                int error = errno;
                ::close(fd);
                errno = error;
                fail("cannot write", path);
            }
            return RunClaim(fd, path);
        }
        ::close(fd);
    }
}

} // namespace detlab::sweep
