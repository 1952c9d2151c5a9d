// The contract's checks that need no program run: bad experiment files are exit-2 errors with
// file:line:key, and the identity covers the program's bytes but not where they are.
#include "harness/program/program.h"
#include "harness/sweep/sweep.h"

#include <catch2/catch.hpp>
#include <filesystem>

namespace fs = std::filesystem;
using namespace detlab;

namespace {

fs::path program_folder(const std::string& name) {
    auto dir = fs::path(DETLAB_TEST_TMP) / "program-contract" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_file(dir / "train.py", std::string_view("print('a program')\n"));
    return dir;
}

nlohmann::json config_of(const fs::path& dir) {
    return {{"program_dir", dir.string()}};
}

} // namespace

TEST_CASE("a bad contract in an experiment file fails with file, line and key") {
    auto dir = program_folder("bad");
    const auto& domains = sweep::builtin_domains();
    struct Case {
        std::string text, message;
    };
    std::string at = "program_dir = \"" + dir.string() + "\"\n";
    std::vector<Case> cases{
        {"[program]\nepochs = 2\n",
         "bad.toml: program.vary: program config: program_dir: required"},
        {"[program]\n" + at + "entry = \"../train.py\"\n",
         "bad.toml: program.vary: program config: entry: \"../train.py\" must be a relative path"},
        {"[program]\n" + at + "entry = \"absent.py\"\n",
         "bad.toml: program.vary: program config: entry: "},
        {"[program]\n" + at + "interpreter = \"/no/such/python\"\n",
         "bad.toml: program.vary: program config: interpreter: \"/no/such/python\" not found"},
        {"[program]\n" + at + "threads = 0\n", "bad.toml:3: program.threads: "},
        {"[program]\n" + at + "learning = 0.1\n", "bad.toml:3: program.learning: unknown key"},
        {"[program]\n" + at + "[[program.vary]]\nfactor = \"epochs\"\nvalues = [1, 2]\n",
         "bad.toml:4: program.vary"},
        {"[program]\n" + at +
             "weight_step = 3\n[[program.vary]]\nfactor = \"bit_flip\"\nvalues = [1]\n",
         "bad.toml:4: program.vary: program config: bit_flip: one perturbation at a time"},
        {"[program]\n" + at + "tools = \"nosuch\"\n",
         "bad.toml: program.vary: program config: tools: root 'nosuch' is not installed"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        CHECK_THROWS_WITH(sweep::parse_experiment(c.text, "bad.toml", domains),
                          Catch::StartsWith(c.message));
        CHECK_THROWS_AS(sweep::parse_experiment(c.text, "bad.toml", domains), InputError);
    }
}

TEST_CASE("a program's identity is its files' bytes and its keys, not its folder") {
    auto dir = program_folder("one");
    fs::create_directories(dir / "lib" / "__pycache__"); // each case runs alone under ctest
    write_file(dir / "lib" / "model.py", std::string_view("WIDTH = 3\n"));
    auto id = program::configuration_id(config_of(dir));

    auto copy = fs::path(DETLAB_TEST_TMP) / "program-contract" / "elsewhere";
    fs::remove_all(copy);
    fs::copy(dir, copy, fs::copy_options::recursive);
    CHECK(program::configuration_id(config_of(copy)) == id);

    // Python's byte-code cache is not the program.
    write_file(dir / "lib" / "__pycache__" / "model.cpython-311.pyc", std::string_view("junk"));
    CHECK(program::configuration_id(config_of(dir)) == id);

    write_file(dir / "lib" / "model.py", std::string_view("WIDTH = 4\n"));
    auto edited = program::configuration_id(config_of(dir));
    CHECK(edited != id);

    // `tools` joined the keys later: at its default the identity is what it was.
    auto system = config_of(dir);
    system["tools"] = "system";
    CHECK(program::configuration_id(system) == edited);

    auto seeded = config_of(dir);
    seeded["init_seed"] = 7;
    CHECK(program::configuration_id(seeded) != edited);

    auto data = dir.parent_path() / "data";
    fs::create_directories(data);
    write_file(data / "samples.bin", std::string_view("1234"));
    auto with_data = config_of(dir);
    with_data["data_dir"] = data.string();
    auto data_id = program::configuration_id(with_data);
    CHECK(data_id != edited);
    write_file(data / "samples.bin", std::string_view("1235"));
    CHECK(program::configuration_id(with_data) != data_id);

    auto digests = program::input_digests(config_of(dir));
    REQUIRE(digests.size() == 2);
    CHECK(digests[0].first == "program/lib/model.py");
    CHECK(digests[1].first == "program/train.py");
}

TEST_CASE("program runs are planned as their own domain and stored as training runs") {
    const auto& domains = sweep::builtin_domains();
    auto it = std::find_if(domains.begin(), domains.end(),
                           [](const sweep::Domain& d) { return d.kind == "program"; });
    REQUIRE(it != domains.end());
    CHECK(it->stored_kind == db::kKindTrain);
    auto dir = program_folder("plan");
    auto experiment = sweep::parse_experiment(
        "[program]\nprogram_dir = \"" + dir.string() +
            "\"\n[[program.vary]]\nfactor = \"init_seed\"\nvalues = [1, 2]\n"
            "[[program.vary]]\nfactor = \"deterministic\"\nvalues = [true, false]\n",
        "plan.toml", domains);
    REQUIRE(experiment.runs.size() == 4);
    CHECK(experiment.runs[0].kind == "program");
    CHECK(experiment.runs[0].config.at("init_seed") == 1);
}

TEST_CASE("the PyTorch example's experiment files plan their studies") {
    const auto& domains = sweep::builtin_domains();
    auto folder = fs::path(DETLAB_SOURCE_ROOT) / "examples" / "pytorch_resnet";
    const std::vector<std::pair<std::string, int>> sizes{{"smoke.toml", 19}, {"small.toml", 59}};
    for (const auto& [file, runs] : sizes) {
        INFO(file);
        auto experiment = sweep::load_experiment(folder / file, domains);
        CHECK(experiment.runs.size() == std::size_t(runs));
        const auto& config = experiment.runs.front().config;
        CHECK(config.at("model") == "ResNet");
        CHECK(config.at("dataset") == "Fashion-MNIST");
        CHECK(fs::path(config.at("program_dir").get<std::string>()) == folder / "program");
    }
    auto slurm = sweep::load_experiment(folder / "slurm.toml", domains);
    std::map<std::string, int> per_study;
    for (const auto& run : slurm.runs)
        ++per_study[run.study];
    CHECK(per_study["repeat-deterministic"] == 32);
    CHECK(per_study["init_seed"] == 32);
    CHECK(per_study["baseline"] == 3); // the effects' yardstick, planned last
}
