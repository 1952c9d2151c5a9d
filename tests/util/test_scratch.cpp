// Stale scratch directories (issue 28): what remove_stale_scratch removes and what it keeps. The
// leftovers of dead processes are made here by hand, in TempDir's documented form (its name and
// its signed lock file, copied from a live TempDir), since a unit test starts no process; the
// real kill -9 of a build is tests/toolchain/test_scratch_kill.cpp.
#include "harness/util/util.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

// Above PID_MAX_LIMIT (2^22): no process can have it.
constexpr const char* kDeadPid = "4194305";

fs::path fresh_base(const std::string& name) {
    auto base = fs::path(DETLAB_TEST_TMP) / "util" / name;
    fs::remove_all(base);
    fs::create_directories(base);
    return base;
}

// "<pid>.<start>" of a live TempDir's name: this process's own owner fields.
std::pair<std::string, std::string> owner_fields(const fs::path& dir) {
    std::string name = dir.filename().string();
    auto last = name.rfind('.');
    auto start_dot = name.rfind('.', last - 1);
    auto pid_dot = name.rfind('.', start_dot - 1);
    return {name.substr(pid_dot + 1, start_dot - pid_dot - 1),
            name.substr(start_dot + 1, last - start_dot - 1)};
}

// A directory left the way a killed detlab leaves its scratch: signed lock file, unlocked.
fs::path left_scratch(const fs::path& base, const std::string& name, const std::string& signature) {
    auto dir = base / name;
    fs::create_directories(dir / "build" / "src");
    write_file(dir / ".detlab-scratch", signature);
    write_file(dir / "build" / "src" / "top.v", std::string_view("module top; endmodule\n"));
    return dir;
}

} // namespace

TEST_CASE("stale scratch of dead detlab processes is removed and nothing else") {
    auto base = fresh_base("scratch-sweep");
    auto outside = fresh_base("scratch-sweep-outside");
    write_file(outside / "precious.txt", std::string_view("the user's"));

    TempDir live("detlab-test-live", base); // sweeps `base` now, while it is still empty
    auto [pid, start] = owner_fields(live.path());
    std::string signature = read_file_text(live.path() / ".detlab-scratch");
    REQUIRE(signature.starts_with("detlab scratch directory\n"));

    // Stale: its owner is gone, or its pid now belongs to a process started at another time.
    auto dead =
        left_scratch(base, std::string("detlab-build-1a.") + kDeadPid + ".77.0000abcd", signature);
    fs::create_directory_symlink(outside, dead / "link-to-outside"); // removed, not followed
    auto reused = left_scratch(
        base, "detlab-equiv." + pid + "." + std::to_string(std::stoull(start) + 1) + ".0000abce",
        signature);
    // Kept: the owner still runs (this process), though the lock is free.
    auto alive = left_scratch(base, "detlab-equiv." + pid + "." + start + ".0000abcf", signature);
    // Kept: locked (its owner lives in another pid namespace, say).
    auto locked =
        left_scratch(base, std::string("detlab-equiv.") + kDeadPid + ".77.0000abd0", signature);
    int lock = ::open((locked / ".detlab-scratch").c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(lock >= 0);
    REQUIRE(::flock(lock, LOCK_EX | LOCK_NB) == 0);
    // Look-alikes that detlab did not make: no lock file, another lock file, a linked lock
    // file, a link named like scratch, a file named like scratch, another prefix.
    std::string dead_name = std::string(".") + kDeadPid + ".77.";
    auto unsigned_dir = base / ("detlab-user" + dead_name + "0000abd1");
    fs::create_directories(unsigned_dir);
    write_file(unsigned_dir / "notes.txt", std::string_view("mine"));
    auto other_lock = left_scratch(base, "detlab-user" + dead_name + "0000abd2", "my own lock\n");
    auto linked_lock = base / ("detlab-user" + dead_name + "0000abd3");
    fs::create_directories(linked_lock);
    write_file(outside / "signed", signature);
    fs::create_symlink(outside / "signed", linked_lock / ".detlab-scratch");
    auto outside_scratch = left_scratch(outside, "looks-stale", signature);
    auto link = base / ("detlab-build-1b" + dead_name + "0000abd4");
    fs::create_directory_symlink(outside_scratch, link);
    auto file = base / ("detlab-build-1c" + dead_name + "0000abd5");
    write_file(file, signature);
    auto other_prefix = left_scratch(base, "myapp" + dead_name + "0000abd6", signature);
    auto bad_suffix = left_scratch(base, "detlab-build" + dead_name + "not-hex!", signature);

    CHECK(remove_stale_scratch(base) == 2);
    CHECK_FALSE(fs::exists(dead));
    CHECK_FALSE(fs::exists(reused));
    for (const auto& kept :
         {live.path(), alive, locked, unsigned_dir / "notes.txt", other_lock, linked_lock,
          outside_scratch / "build" / "src" / "top.v", file, other_prefix, bad_suffix,
          outside / "precious.txt", outside / "signed"})
        CHECK(fs::exists(kept));
    CHECK(fs::is_symlink(link));
    CHECK(fs::is_symlink(linked_lock / ".detlab-scratch"));
    ::close(lock);
    CHECK(remove_stale_scratch(base) == 1); // the lock went: now it is stale
    CHECK_FALSE(fs::exists(locked));
    CHECK(fs::exists(live.path())); // its own lock still held
}

TEST_CASE("a kept TempDir loses its signature, so no later sweep removes it") {
    auto base = fresh_base("scratch-kept");
    fs::path kept;
    {
        TempDir dir("detlab-test-kept", base);
        kept = dir.path();
        CHECK(fs::is_regular_file(kept / ".detlab-scratch"));
        dir.keep();
        CHECK_FALSE(fs::exists(kept / ".detlab-scratch"));
    }
    CHECK(fs::is_directory(kept));
    // Named as a dead process's scratch, still not removed: it is not signed any more.
    auto renamed = base / (std::string("detlab-test-kept.") + kDeadPid + ".77.0000abcd");
    fs::rename(kept, renamed);
    CHECK(remove_stale_scratch(base) == 0);
    CHECK(fs::is_directory(renamed));
}

TEST_CASE("the first TempDir of a process in a directory removes the stale scratch there") {
    auto base = fresh_base("scratch-first");
    std::string signature;
    {
        TempDir model("detlab-test-model", fs::path(DETLAB_TEST_TMP) / "util");
        signature = read_file_text(model.path() / ".detlab-scratch");
    }
    auto dead =
        left_scratch(base, std::string("detlab-build-2a.") + kDeadPid + ".9.0000abcd", signature);
    TempDir dir("detlab-test-first", base);
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::is_directory(dir.path()));
}
