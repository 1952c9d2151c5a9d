#include "harness/config_keys/config_keys.h"

#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("configs are completed with defaults and validated") {
    std::vector<KeySpec> keys{
        {"seed", KeySpec::Type::integer, 1, "placement seed", 0, 1e9, {}, true},
        {"placer", KeySpec::Type::string, "heap", "placer", 0, 0, {"heap", "sa"}, true},
    };
    auto config = complete_config(keys, {{"seed", 7}}, "exp.toml");
    CHECK(config["seed"] == 7);
    CHECK(config["placer"] == "heap");
    CHECK_THROWS_WITH(complete_config(keys, {{"sed", 7}}, "exp.toml"),
                      Catch::Contains("exp.toml: sed: unknown key (valid keys: seed, placer)"));
    CHECK_THROWS_WITH(complete_config(keys, {{"seed", -1}}, "f"), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(complete_config(keys, {{"placer", "x"}}, "f"),
                      Catch::Contains("not one of: heap, sa"));
    CHECK_THROWS_WITH(complete_config(keys, {{"seed", "one"}}, "f"),
                      Catch::Contains("expected an integer"));
}
