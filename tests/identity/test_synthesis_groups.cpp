// Which builds share one synthesis: the toolchain's own synthesis key, as the sweep uses it.
#include "db/store.h"
#include "harness/sweep/sweep.h"
#include "harness/toolchain/toolchain.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

const sweep::Domain& toolchain_domain() {
    for (const auto& domain : sweep::builtin_domains())
        if (domain.kind == db::kKindToolchain)
            return domain;
    throw std::logic_error("no toolchain domain");
}

// The toolchain's synthesis key for a given yosys version: pure, so the unit cases run no yosys.
// (The sweep's group is the same key with the version probed: the [tools] case below.)
const std::string kYosys = "Yosys 0.23 (git sha1 7ce5011c24b)";

std::string group_of(const nlohmann::json& changes, const std::string& yosys = kYosys) {
    auto keys = toolchain::config_keys();
    auto config = complete_config(keys, changes, "test");
    return toolchain::synthesis_key(config, yosys);
}

} // namespace

TEST_CASE("builds that differ only after synthesis share one synthesis group") {
    std::string baseline = group_of(nlohmann::json::object());
    REQUIRE_FALSE(baseline.empty());
    CHECK(group_of(nlohmann::json::object(), "Yosys 0.52") != baseline); // never another yosys's
    // Keys that nextpnr, icepack and icetime read, and the limits of every stage.
    using Changes = std::vector<std::pair<std::string, nlohmann::json>>;
    Changes after_synthesis{
        {"seed", 7},           {"threads", 2},     {"parallel_refine", true}, {"placer", "sa"},
        {"router", "router2"}, {"freq_mhz", 48.0}, {"stage_timeout_s", 30.0}, {"device", "hx8k"}};
    for (const auto& [key, value] : after_synthesis) {
        INFO(key << " = " << value.dump());
        CHECK(group_of({{key, value}}) == baseline);
    }
    // Keys that change the yosys script or the source bytes.
    Changes synthesis_inputs{
        {"array", 3}, {"rtl_rename", true}, {"rtl_dead_logic", "kept"}, {"file_order", "reversed"}};
    for (const auto& [key, value] : synthesis_inputs) {
        INFO(key << " = " << value.dump());
        CHECK(group_of({{key, value}}) != baseline);
    }
    // No sharing: the cache is off, or the script names the run's own directory.
    CHECK(group_of({{"reuse_synthesis", false}}).empty());
    CHECK(group_of({{"path_style", "absolute"}}).empty());
}

TEST_CASE("a synthesis counts as stored only when its own netlist is cached") {
    auto dir = fs::path(DETLAB_TEST_TMP) / "identity" / "synthesis-stored";
    fs::remove_all(dir);
    fs::create_directories(dir);
    db::Store store(dir / "detlab.db");
    std::string wanted = group_of(nlohmann::json::object());
    std::string other = group_of({{"array", 3}});
    const auto& stored = toolchain_domain().setup_stored;
    CHECK_FALSE(stored(store, wanted));
    store.cache_store(other, store.put_blob(Bytes{'o', 't', 'h', 'e', 'r'}));
    CHECK_FALSE(stored(store, wanted)); // another group's netlist does not release this one
    store.cache_store(wanted, store.put_blob(Bytes{'n', 'e', 't'}));
    CHECK(stored(store, wanted));
    CHECK_FALSE(stored(store, ""));
}

TEST_CASE("the sweep groups builds by the synthesis key of the installed yosys", "[tools]") {
    auto config = complete_config(toolchain::config_keys(), nlohmann::json::object(), "test");
    std::string group = toolchain_domain().setup_group(config);
    REQUIRE_FALSE(group.empty());
    CHECK(group == toolchain::synthesis_key(config));
    CHECK(group != group_of(nlohmann::json::object(), "Yosys 0.0 (not installed anywhere)"));
}
