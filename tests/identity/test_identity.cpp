// Configuration identity: which keys and which input bytes make a configuration new.
#include "harness/sweep/sweep.h"
#include "harness/toolchain/toolchain.h"
#include "harness/train/train.h"
#include "tests/fresh_dir.h"
#include "tests/idx_fixture.h"

#include <catch2/catch.hpp>

using namespace detlab;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    return detlab::test::fresh_dir("identity", name);
}

} // namespace

TEST_CASE("a key added with omit_at_default keeps every identity") {
    KeySpec seed{"seed", KeySpec::Type::integer, 1, "placement seed", 0, 1000, {}};
    std::vector<KeySpec> keys{seed};
    auto config = complete_config(keys, {{"seed", 7}}, "test");
    auto before = identity_config(keys, config).dump();

    auto extended = keys;
    KeySpec added{"new_knob", KeySpec::Type::string, "off", "a later key", 0, 0, {"off", "on"}};
    added.omit_at_default = true;
    extended.push_back(added);
    auto at_default = complete_config(extended, {{"seed", 7}}, "test");
    CHECK(at_default.contains("new_knob")); // the run still records it
    CHECK(identity_config(extended, at_default).dump() == before);
    auto set = complete_config(extended, {{"seed", 7}, {"new_knob", "on"}}, "test");
    CHECK(identity_config(extended, set).dump() != before);
}

// Pinned on the domains' own identity functions: a key added without omit_at_default (or a
// changed default, or a change to how inputs are hashed) changes every stored configuration's
// id, so stores made before would stop resuming. Such a change must be deliberate, and this test
// says so. The inputs are fixtures whose bytes do not move: the toolchain test design and the
// shipped digits data set.
TEST_CASE("the default identities of both domains are pinned") {
    auto design = source_root() / "tests/toolchain/fixtures/mac";
    auto build = complete_config(toolchain::config_keys(),
                                 {{"rtl_dir", design.string()}, {"device", "hx8k"}}, "test");
    CHECK(toolchain::configuration_id(build) == "cee276aff7828add5");
    auto training = complete_config(train::config_keys(), nlohmann::json::object(), "test");
    INFO(identity_config(train::config_keys(), training).dump());
    CHECK(train::configuration_id(training) == "c1d94ef96c3647a9b");
}

TEST_CASE("a build's identity follows the bytes of its RTL, not where the RTL lives") {
    auto dir = fresh_dir("rtl");
    auto copy = [&](const std::string& name) {
        auto to = dir / name;
        fs::create_directories(to);
        fs::copy(source_root() / "rtl", to, fs::copy_options::recursive);
        return to;
    };
    auto a = copy("a"), b = copy("b");
    auto config_for = [](const fs::path& rtl) {
        return complete_config(toolchain::config_keys(),
                               {{"rtl_dir", rtl.string()}, {"array", 2}, {"device", "hx1k"}},
                               "test");
    };
    auto id_a = toolchain::configuration_id(config_for(a));
    CHECK(id_a == toolchain::configuration_id(config_for(b)));
    auto digests = toolchain::input_digests(config_for(a));
    CHECK(digests.front().first == "sources.txt");
    CHECK(digests.back().first == "pcf/hx1k.pcf");

    // One comment byte in one RTL file, then the pin file: each makes a new configuration.
    auto list = read_file_text(b / "sources.txt");
    auto first = list.substr(0, list.find('\n'));
    auto file = b / first.substr(first.find_first_not_of(" \t"));
    write_file(file, read_file_text(file) + "// edited\n");
    auto id_edited = toolchain::configuration_id(config_for(b));
    CHECK(id_edited != id_a);
    write_file(b / "pcf" / "hx1k.pcf", read_file_text(b / "pcf" / "hx1k.pcf") + "\n");
    CHECK(toolchain::configuration_id(config_for(b)) != id_edited);

    fs::remove(b / "pcf" / "hx1k.pcf");
    CHECK_THROWS_AS(toolchain::configuration_id(config_for(b)), InputError);
}

TEST_CASE("a training run's identity follows the bytes of its data set") {
    auto digits = complete_config(train::config_keys(), nlohmann::json::object(), "test");
    auto inputs = train::input_digests(digits);
    REQUIRE(inputs.size() == 1);
    CHECK(inputs[0].second == train::kDigitsSha256);

    // Fashion-MNIST from a directory of the test's own: change one label byte, a new id.
    auto dir = fresh_dir("fashion");
    testing::write_fashion_mnist(dir, 2, 1);
    ::setenv("DETLAB_FASHION_MNIST", dir.c_str(), 1);
    auto fashion = complete_config(train::config_keys(), {{"dataset", "fashion-mnist"}}, "test");
    auto before = train::configuration_id(fashion);
    CHECK(before != train::configuration_id(digits));
    auto labels = testing::idx_bytes(0x801, {2}, 2, 10);
    labels.back() = static_cast<std::uint8_t>((labels.back() + 1) % 10);
    write_file(dir / "train-labels-idx1-ubyte", labels);
    CHECK(train::configuration_id(fashion) != before);

    fs::remove(dir / "t10k-labels-idx1-ubyte");
    CHECK_THROWS_AS(train::configuration_id(fashion), InputError);
    ::unsetenv("DETLAB_FASHION_MNIST");
}

TEST_CASE("experiment files are checked by the domains' own rules, as the CLI is") {
    const auto& domains = sweep::builtin_domains();
    struct Case {
        std::string text, message;
    };
    std::vector<Case> cases{
        {"[train]\n[[train.vary]]\nfactor = \"bit_flip\"\nvalues = [1000000000]\n",
         "bad.toml:2: train.vary: train config: bit_flip: index 1000000000 is beyond the model's"},
        {"[toolchain]\n[[toolchain.vary]]\nfactor = \"build_path\"\nvalues = [\"../..\"]\n",
         "bad.toml:2: toolchain.vary: "},
        {"[toolchain]\n[[toolchain.vary]]\nfactor = \"build_path\"\nvalues = [\"/abs\"]\n",
         "bad.toml:2: toolchain.vary: "},
        {"[train]\narray = 3\n", "bad.toml: train.vary: train config: array: 3 is not one of"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK_THROWS_WITH(sweep::parse_experiment(c.text, "bad.toml", domains),
                          Catch::StartsWith(c.message));
    }
    // The same values are fine where they are valid.
    CHECK_NOTHROW(sweep::parse_experiment(
        "[train]\n[[train.vary]]\nfactor = \"bit_flip\"\nvalues = [5]\n", "ok.toml", domains));
}
