// Concurrent `detlab train` of one configuration on one store (issue 28): each process gets a
// repeat index of its own, chosen when its run is stored, and every run is stored.
#include "db/store.h"
#include "harness/process/process.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>

using namespace detlab;

TEST_CASE("concurrent detlab train of one configuration get distinct repeats", "[cli]") {
    constexpr int kProcesses = 4;
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "train-repeats";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto db_path = dir / "same.db";
    std::vector<process::Result> results(kProcesses);
    std::vector<std::thread> threads;
    for (int p = 0; p < kProcesses; ++p)
        threads.emplace_back([&, p] {
            process::Spec spec;
            spec.argv = {DETLAB_BINARY, "train",    "--backend", "golden",        "--array",
                         "2",           "--epochs", "1",         "--train-size",  "200",
                         "--test-size", "50",       "--db",      db_path.string()};
            spec.cwd = dir;
            results[static_cast<std::size_t>(p)] = process::run(spec);
        });
    for (auto& thread : threads)
        thread.join();
    for (const auto& result : results) {
        INFO(result.out + result.err + result.error);
        CHECK(result.ok());
    }
    db::Store store(db_path);
    auto rows = store.runs();
    REQUIRE(rows.size() == kProcesses);
    std::set<int> repeats;
    std::set<std::string> ids;
    for (const auto& row : rows) {
        CHECK(row.config_id == rows[0].config_id);
        CHECK(row.experiment == "adhoc");
        CHECK(row.status == "done");
        repeats.insert(row.repeat);
        ids.insert(row.id);
    }
    CHECK(repeats == std::set<int>{0, 1, 2, 3});
    CHECK(ids.size() == kProcesses);
}
