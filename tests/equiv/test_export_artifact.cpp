// `detlab export --artifact NAME RUN --out FILE` through the real executable: the artifact's
// bytes as stored, an existing file left alone, unknown runs and artifacts named (exit 2), a
// damaged blob refused with nothing written.
#include "db/store.h"
#include "tests/db/helpers.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

TEST_CASE("export --artifact writes a stored artifact as it was stored and never overwrites") {
    auto dir = test::fresh_dir("cli-export-artifact");
    auto path = dir / "store.db";
    auto run = test::sample_run(R"({"seed":1})", 0, "the bitstream's bytes");
    {
        db::Store store(path);
        store.record_run(run);
    }
    const std::string name = run.artifacts.at(0).name;
    auto out = dir / "out.bin";
    auto wrote = test::run_detlab(
        {"export", "--db", path.string(), "--artifact", name, run.id, "--out", out.string()});
    INFO(wrote.err);
    CHECK(wrote.exit_code == 0);
    CHECK(read_file_text(out) == "the bitstream's bytes");
    CHECK_THAT(wrote.out, Catch::Contains(sha256_hex(std::string_view("the bitstream's bytes"))));

    write_file(out, std::string_view("mine"));
    auto again = test::run_detlab(
        {"export", "--db", path.string(), "--artifact", name, run.id, "--out", out.string()});
    CHECK(again.exit_code == 2);
    CHECK_THAT(again.err, Catch::Contains("exists; not overwritten"));
    CHECK(read_file_text(out) == "mine");

    auto other = dir / "other.bin";
    auto no_run = test::run_detlab({"export", "--db", path.string(), "--artifact", name,
                                    "0000000000000000", "--out", other.string()});
    CHECK(no_run.exit_code == 2);
    CHECK_THAT(no_run.err, Catch::Contains("no run 0000000000000000"));
    auto no_artifact = test::run_detlab({"export", "--db", path.string(), "--artifact", "nope.bin",
                                         run.id, "--out", other.string()});
    CHECK(no_artifact.exit_code == 2);
    CHECK_THAT(no_artifact.err, Catch::Contains("has no artifact nope.bin (it has: " + name));
    CHECK_FALSE(fs::exists(other));

    { // a damaged blob: refused, nothing written
        SQLite::Database raw(path, SQLite::OPEN_READWRITE);
        SQLite::Statement flip(raw, "UPDATE blobs SET data = substr(data, 1, length(data) - 1) "
                                    "|| X'00'");
        REQUIRE(flip.exec() >= 1);
    }
    auto damaged = test::run_detlab(
        {"export", "--db", path.string(), "--artifact", name, run.id, "--out", other.string()});
    CHECK(damaged.exit_code == 1);
    CHECK_FALSE(fs::exists(other));
}
