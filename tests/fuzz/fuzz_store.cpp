// Fuzzes hostile stores: the input bytes are a SQLite file (the corpus starts from a real
// detlab store). detlab opens it, merges it into a fresh store, reads every run's artifacts and
// checks it, as `detlab merge`, `runs` and `db check` do. A bad file must end in InputError,
// BlobCorrupt or another std::runtime_error (SQLite's errors are ones); std::bad_alloc (memory
// taken from a size the file claims), a logic_error or a hang is a finding. libFuzzer's
// -rss_limit_mb and -timeout catch the last two.
#include "db/store.h"
#include "harness/util/util.h"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const fs::path& scratch() {
    static const detlab::TempDir dir("detlab-fuzz-store"); // removed when the fuzzer exits
    return dir.path();
}

void remove_store(const fs::path& path) {
    std::error_code error;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(path.string() + suffix, error);
}

void read_everything(detlab::db::Store& store) {
    for (const auto& run : store.runs({})) {
        (void)store.params(run.id);
        (void)store.metrics(run.id);
        for (const auto& [name, sha] : store.artifacts(run.id)) {
            try {
                (void)store.artifact_bytes(run.id, name);
            } catch (const detlab::db::BlobCorrupt&) { // costs this run only
            }
        }
    }
    (void)store.check();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = scratch() / "input.db", target = scratch() / "target.db";
    remove_store(input);
    remove_store(target);
    detlab::write_file(input, std::span<const std::uint8_t>(data, size));
    try {
        detlab::db::Store::check_mergeable(input);
        detlab::db::Store merged(target);
        (void)merged.merge_from(input);
        read_everything(merged);
    } catch (const std::runtime_error&) { // InputError, BlobCorrupt, SQLite::Exception
    }
    try {
        detlab::db::Store store(input);
        read_everything(store);
    } catch (const std::runtime_error&) {
    }
    return 0;
}
