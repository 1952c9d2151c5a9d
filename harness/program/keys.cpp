// A program run's configuration keys, their checks beyond ranges, and its identity: the keys
// without the folders' locations, and the bytes of every file in them.
#include "harness/process/process.h"
#include "harness/program/internal.h"

#include <algorithm>

namespace detlab::program {
namespace {

using Type = KeySpec::Type;
constexpr double kMaxSeed = 9007199254740991.0; // 2^53 - 1: exact in every JSON reader
constexpr std::size_t kMaxFolderFiles = 10000;

KeySpec key(std::string name, Type type, nlohmann::json fallback, std::string doc, double min,
            double max, bool factor) {
    KeySpec spec;
    spec.name = std::move(name);
    spec.type = type;
    spec.default_value = std::move(fallback);
    spec.doc = std::move(doc);
    spec.min = min;
    spec.max = max;
    spec.factor = factor;
    return spec;
}

KeySpec path(std::string name, std::string doc) {
    KeySpec spec = key(std::move(name), Type::string, "", std::move(doc), 0, 0, false);
    spec.is_path = true;
    return spec;
}

// Added after the identity was defined: at "system" it stays out of the identity.
KeySpec tools_key() {
    KeySpec spec = key("tools", Type::string, "system",
                       "the framework's root: \"system\" (the host's) or a root of "
                       "scripts/setup-pytorch-root NAME, whose interpreter runs the program",
                       0, 0, true);
    spec.omit_at_default = true;
    return spec;
}

std::vector<KeySpec> make_keys() {
    return {
        path("program_dir", "folder of the program's files, all hashed into the identity "
                            "(relative: from the experiment file's folder)"),
        key("entry", Type::string, "train.py", "the program's file inside program_dir", 0, 0,
            false),
        key("interpreter", Type::string, "/usr/bin/python3",
            "what runs the entry: an absolute path or a name on PATH (empty: the entry itself)", 0,
            0, false),
        tools_key(),
        path("data_dir", "folder of the data set, all hashed into the identity (empty: none)"),
        key("model", Type::string, "", "the model's name, for the scope of rows and verdicts", 0, 0,
            false),
        key("dataset", Type::string, "", "the data set's name, for the scope of rows and verdicts",
            0, 0, false),
        key("width", Type::integer, 16, "model width, passed to the program", 1, 4096, false),
        key("epochs", Type::integer, 5, "passes over the training set", 1, 10000, false),
        key("batch_size", Type::integer, 128, "minibatch size", 1, 65536, false),
        key("learning_rate", Type::real, 0.05, "peak learning rate", 0, 10, false),
        key("train_size", Type::integer, 0, "first N training samples (0: all)", 0, 1e8, false),
        key("test_size", Type::integer, 0,
            "first N test samples (0: all); when set, the logits must have exactly N rows", 0, 1e8,
            false),
        key("classes", Type::integer, 10, "columns of the logits the program must write", 2, 100000,
            false),
        key("root_seed", Type::integer, 1, "root of the init and data-order seeds", 0, kMaxSeed,
            true),
        key("init_seed", Type::integer, 0, "weight initialisation seed (0: from root_seed)", 0,
            kMaxSeed, true),
        key("shuffle_seed", Type::integer, 0, "data-order seed (0: from root_seed)", 0, kMaxSeed,
            true),
        key("threads", Type::integer, 1, "the framework's intra-op threads", 1, 256, true),
        key("deterministic", Type::boolean, true,
            "the framework's determinism switch (PyTorch: use_deterministic_algorithms)", 0, 0,
            true),
        key("bit_flip", Type::integer, -1,
            "flip bit 0 of this initial weight (flat index over the trainable tensors; -1: none)",
            -1, kMaxSeed, true),
        key("weight_step", Type::integer, -1,
            "move this initial weight one int8 step (max|w|/127 of its tensor) toward zero "
            "(-1: none)",
            -1, kMaxSeed, true),
        key("time_limit_s", Type::integer, 3600, "seconds before the program's group is killed", 1,
            1e6, false),
        key("max_weights", Type::integer, 50000000,
            "most weight elements read back (bounds memory)", 1, 1e9, false),
    };
}

// Every regular file under `root` as (relative path, path), sorted; InputError when missing.
std::vector<std::pair<std::string, std::filesystem::path>>
folder_files(const std::filesystem::path& root, const std::string& key) {
    if (!std::filesystem::is_directory(root))
        throw InputError("program config: " + key + ": " + root.string() + " is not a folder");
    std::vector<std::pair<std::string, std::filesystem::path>> files;
    std::filesystem::recursive_directory_iterator it(root), end;
    for (; it != end; ++it) {
        // Python's byte-code cache is not the program (and PYTHONDONTWRITEBYTECODE keeps it out).
        if (it->is_directory() && it->path().filename() == "__pycache__") {
            it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file())
            continue;
        if (files.size() == kMaxFolderFiles)
            throw InputError("program config: " + key + ": " + root.string() + " holds more than " +
                             std::to_string(kMaxFolderFiles) + " files");
        files.emplace_back(std::filesystem::relative(it->path(), root).generic_string(),
                           it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

const std::vector<KeySpec>& config_keys() {
    static const std::vector<KeySpec> keys = make_keys();
    return keys;
}

namespace detail {
nlohmann::json completed(const nlohmann::json& config) {
    return complete_config(config_keys(), config, "program config");
}

std::filesystem::path entry_path(const nlohmann::json& config) {
    return std::filesystem::path(config.at("program_dir").get<std::string>()) /
           config.at("entry").get<std::string>();
}

std::filesystem::path interpreter_path(const nlohmann::json& config) {
    auto name = config.at("interpreter").get<std::string>();
    if (name.empty() || name.find('/') != std::string::npos)
        return name;
    return process::find_executable(name);
}
} // namespace detail

void validate_config(const nlohmann::json& partial) {
    auto config = detail::completed(partial);
    if (config.at("program_dir").get<std::string>().empty())
        throw InputError("program config: program_dir: required (the folder of the program)");
    auto entry = config.at("entry").get<std::string>();
    std::filesystem::path relative(entry);
    if (entry.empty() || relative.is_absolute() ||
        std::any_of(relative.begin(), relative.end(),
                    [](const auto& part) { return part == ".."; }))
        throw InputError("program config: entry: \"" + entry +
                         "\" must be a relative path inside program_dir");
    if (!std::filesystem::is_regular_file(detail::entry_path(config)))
        throw InputError("program config: entry: " + detail::entry_path(config).string() +
                         " is not a file");
    auto interpreter = config.at("interpreter").get<std::string>();
    if (auto root = detail::framework_root(config); !root.empty()) {
        // Inside a root the interpreter is the root's: an absolute path there.
        if (interpreter.empty() || interpreter.front() != '/' ||
            !std::filesystem::is_regular_file(root / interpreter.substr(1)))
            throw InputError("program config: interpreter: \"" + interpreter +
                             "\" must be an absolute path that exists in the root " +
                             root.string() + " (tools)");
    } else if (!interpreter.empty()) {
        auto found = detail::interpreter_path(config);
        if (found.empty() || !std::filesystem::is_regular_file(found))
            throw InputError("program config: interpreter: \"" + interpreter + "\" not found");
    }
    if (config.at("bit_flip").get<long long>() >= 0 &&
        config.at("weight_step").get<long long>() >= 0)
        throw InputError(
            "program config: bit_flip: one perturbation at a time (weight_step is set)");
}

db::InputDigests input_digests(const nlohmann::json& partial) {
    auto config = detail::completed(partial);
    db::InputDigests digests;
    for (const auto& [key, prefix] :
         {std::pair{"program_dir", "program/"}, {"data_dir", "data/"}}) {
        auto root = config.at(key).get<std::string>();
        if (root.empty())
            continue;
        for (const auto& [name, file] : folder_files(root, key))
            digests.emplace_back(prefix + name, file_sha256(file));
    }
    return digests;
}

std::string configuration_id(const nlohmann::json& partial) {
    auto config = detail::completed(partial);
    nlohmann::json identity = identity_config(config_keys(), config);
    identity.erase("program_dir"); // where the files are is not what they are
    identity.erase("data_dir");
    return db::configuration_id(kIdentityKind, identity.dump(), input_digests(config));
}

} // namespace detlab::program
