// The framework's version as a factor (the `tools` key), as the toolchain side varies its tools:
// "system" runs the host's interpreter and framework; any other name runs the interpreter of a
// Debian root installed by scripts/setup-toolchain NAME and given PyTorch by
// scripts/setup-pytorch-root NAME, through bwrap. Inside, the root's /usr, /etc, /var and /opt
// are read-only, the program's and data's folders are read-only at their own paths and the run's
// folder is writable at its own path, so config.json and output_dir mean the same on both sides.
#include "harness/process/process.h"
#include "harness/program/internal.h"
#include "harness/toolchain/toolchain.h"

#include <algorithm>

namespace detlab::program::detail {
namespace {

// What the host's environment may hold that points a Python inside the root at host folders.
const std::vector<std::string> kHostPythonVariables{"PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE",
                                                    "PYTHONSTARTUP", "VIRTUAL_ENV"};

// Not `bind`: a call by that name would find std::bind through argument-dependent lookup.
void add_bind(std::vector<std::string>& command, const char* how, const std::filesystem::path& path,
              const std::filesystem::path& inside) {
    command.insert(command.end(), {how, std::filesystem::absolute(path).lexically_normal().string(),
                                   inside.string()});
}

} // namespace

std::filesystem::path framework_root(const nlohmann::json& config) {
    auto name = config.at("tools").get<std::string>();
    if (name == "system")
        return {};
    auto installed = toolchain::installed_toolchains();
    if (std::find(installed.begin(), installed.end(), name) == installed.end()) {
        std::string choices = "system";
        for (const auto& other : installed)
            choices += ", " + other;
        throw UnavailableError("program config: tools: root '" + name + "' is not installed in " +
                               toolchain::toolchains_dir().string() + " (installed: " + choices +
                               "); install it with scripts/setup-pytorch-root NAME");
    }
    return toolchain::toolchains_dir() / name;
}

std::filesystem::path folder_inside(const std::filesystem::path& root, const std::string& key,
                                    const std::filesystem::path& folder) {
    auto absolute = std::filesystem::absolute(folder).lexically_normal();
    if (root.empty())
        return absolute;
    // Under the root's own top-level folders (Debian's data sets live in /usr/share) bwrap cannot
    // make a mount point in the read-only root: such a folder is bound at /detlab/<key> instead.
    auto top =
        absolute.begin() == absolute.end() ? std::filesystem::path() : *std::next(absolute.begin());
    std::error_code ec;
    if (!top.empty() && std::filesystem::exists(std::filesystem::symlink_status(root / top, ec)))
        return std::filesystem::path("/detlab") / key;
    return absolute;
}

std::vector<std::string> rooted_command(const std::filesystem::path& root,
                                        const nlohmann::json& config,
                                        const std::filesystem::path& run_dir,
                                        std::vector<std::string> argv) {
    if (root.empty())
        return argv;
    std::vector<std::string> command = toolchain::root_sandbox(root);
    for (const char* key : {"program_dir", "data_dir"})
        if (auto folder = config.at(key).get<std::string>(); !folder.empty())
            add_bind(command, "--ro-bind", folder, folder_inside(root, key, folder));
    if (!run_dir.empty()) {
        add_bind(command, "--bind", run_dir, std::filesystem::absolute(run_dir).lexically_normal());
        command.insert(command.end(),
                       {"--chdir", std::filesystem::absolute(run_dir).lexically_normal().string()});
    }
    command.insert(command.end(), {"--setenv", "PATH", "/usr/bin:/bin", "--setenv", "TMPDIR",
                                   "/tmp", "--setenv", "HOME", "/tmp"});
    for (const auto& variable : kHostPythonVariables)
        command.insert(command.end(), {"--unsetenv", variable});
    command.push_back("--");
    command.insert(command.end(), argv.begin(), argv.end());
    return command;
}

} // namespace detlab::program::detail
