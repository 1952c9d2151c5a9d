// A full disk is the machine's failure, not the configuration's: on a small tmpfs this test
// mounts (it runs as root, like the project's CI container), a sweep records no run as failed,
// exits 75 with the count, and the same command on free space completes every run.
#include "db/store.h"
#include "tests/db/helpers.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

using namespace detlab;
using test::fresh_dir;
namespace fs = std::filesystem;

namespace {

// Three short trainings on the golden model: no external tool, a few seconds each.
const char* kSweep = R"([experiment]
name = "disk"
domains = ["train"]
[train]
epochs = 1
array = 2
train_size = 200
test_size = 100
[[train.vary]]
factor = "init_seed"
values = [1, 2, 3]
)";

class Tmpfs {
public:
    Tmpfs(const fs::path& where, const std::string& size) : where_(where) {
        fs::create_directories(where);
        std::string options = "size=" + size;
        if (::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) != 0)
            FAIL("cannot mount a tmpfs at "
                 << where << " (needs root or CAP_SYS_ADMIN): " << std::strerror(errno));
        mounted_ = true;
    }
    ~Tmpfs() {
        if (mounted_)
            ::umount2(where_.c_str(), MNT_DETACH);
    }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;

private:
    fs::path where_;
    bool mounted_ = false;
};

// Writes zeros into `path` until only `leave` bytes are free on its file system.
void fill_until(const fs::path& path, std::uint64_t leave) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    std::vector<char> chunk(64 * 1024, 0);
    while (db::free_bytes(path).value_or(0) > leave + chunk.size())
        if (::write(fd, chunk.data(), chunk.size()) <= 0)
            break;
    ::close(fd);
}

process::Result detlab_in(const fs::path& dir, std::vector<std::string> args) {
    process::Spec spec;
    spec.argv = {DETLAB_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.cwd = dir;
    spec.timeout = std::chrono::seconds(600);
    return process::run(spec);
}

} // namespace

TEST_CASE("a sweep on a full disk records no run as failed, exits 75, and the next run on free "
          "space completes every run") {
    auto dir = fresh_dir("full-disk");
    write_file(dir / "exp.toml", std::string_view(kSweep));
    Tmpfs disk(dir / "mnt", "24m");
    auto store = dir / "mnt" / "sweep.db";
    { db::Store created(store); } // the store exists before its disk fills up
    fill_until(dir / "mnt" / "filler", 4 << 20);
    REQUIRE(db::free_bytes(store).value_or(0) < db::kMinFreeBytes);

    auto full = detlab_in(dir, {"run", "exp.toml", "--db", store.string(), "--no-progress"});
    CHECK(full.exit_code == 75);
    CHECK_THAT(full.out, Catch::Contains("not recorded: 3 run(s)"));
    CHECK_THAT(full.out, Catch::Contains("0 failed"));
    CHECK_THAT(full.err, Catch::Contains("sweep incomplete: 3 run(s) could not be recorded"));
    CHECK_THAT(full.out, Catch::Contains("the store's disk has"));
    {
        db::Store after(store);
        CHECK(after.runs({}).empty()); // nothing stored as the configurations' failure
    }

    fs::remove(dir / "mnt" / "filler");
    auto freed = detlab_in(dir, {"run", "exp.toml", "--db", store.string(), "--no-progress"});
    CHECK(freed.exit_code == 0);
    CHECK_THAT(freed.out, Catch::Contains("ran 3 done + 0 failed"));
    db::Store after(store);
    db::RunFilter done;
    done.status = db::kStatusDone;
    CHECK(after.runs(done).size() == 3);
    CHECK(after.runs({}).size() == 3);
}

TEST_CASE("a store that cannot grow (SQLITE_FULL) refuses the run as the machine's failure") {
    auto dir = fresh_dir("sqlite-full");
    db::Store store(dir / "full.db");
    store.record_run(test::sample_run(R"({"seed":1})", 0, "small"));
    // The file may not grow past its current pages: SQLite answers SQLITE_FULL, as on a full disk.
    store.database().exec(
        "PRAGMA max_page_count = " +
        std::to_string(store.database().execAndGet("PRAGMA page_count").getInt()));
    std::string big(1 << 20, 'x');
    std::uint64_t state = 1; // a pseudo-random artifact: zstd cannot shrink it below 1 MiB
    for (auto& c : big) {
        state = splitmix64(state);
        c = static_cast<char>('a' + state % 26);
    }
    auto run = test::sample_run(R"({"seed":2})", 0, big);
    CHECK_THROWS_AS(store.record_run(run), db::StoreUnavailable);
    CHECK_THROWS_WITH(store.record_run(run), Catch::Contains("the disk is full"));
    CHECK(store.runs({}).size() == 1); // nothing of the refused run was kept
    CHECK_FALSE(store.run(run.id).has_value());
}
