// Toolchain roots (the `tools` key): "system" runs the host's yosys, nextpnr-ice40 and icestorm;
// any other name runs those of a Debian root installed by scripts/setup-toolchain NAME, through
// bwrap (the root's /usr, /etc and /var read-only, the build directory bound at its own path), so
// one harness compares two tool versions with the same argv, limits and accounting.
#include "harness/toolchain/internal.h"

#include <cstdlib>
#include <mutex>
#include <regex>

namespace detlab::toolchain {
namespace {

constexpr const char* kMarker = ".detlab-toolchain";
constexpr auto kProbeLimit = std::chrono::seconds(20);

bool valid_name(const std::string& name) {
    static const std::regex pattern("[a-z][a-z0-9-]*");
    return std::regex_match(name, pattern);
}

std::chrono::milliseconds probe_limit(std::chrono::milliseconds limit) {
    return std::clamp(limit, std::chrono::milliseconds(1), std::chrono::milliseconds(kProbeLimit));
}

// A version probe that finished (a cut one says "unknown (...)").
bool answered(const std::string& version) {
    return !version.starts_with(process::kVersionUnknown);
}

// A memo per toolchain name: probes cost process launches and answers do not change while a
// process runs (a root is installed before detlab starts). An answer `kept` refuses (a probe
// cut short by its time limit) is returned but not remembered.
template <class Value>
class PerToolchain {
public:
    template <class Make, class Kept>
    Value get(const std::string& name, Make make, Kept kept) {
        std::lock_guard lock(mutex_);
        if (auto it = values_.find(name); it != values_.end())
            return it->second;
        Value value = make();
        if (kept(value))
            values_.emplace(name, value);
        return value;
    }

private:
    std::mutex mutex_;
    std::map<std::string, Value> values_;
};

} // namespace

std::filesystem::path toolchains_dir() {
    const char* dir = std::getenv("DETLAB_TOOLCHAINS");
    return dir && *dir ? std::filesystem::path(dir) : "/var/lib/detlab/toolchains";
}

std::vector<std::string> installed_toolchains() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(toolchains_dir(), ec)) {
        std::string name = entry.path().filename().string();
        if (valid_name(name) && name != "system" &&
            std::filesystem::is_regular_file(entry.path() / kMarker, ec))
            names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

namespace detail {

std::filesystem::path tools_root(const std::string& name) {
    if (name == "system")
        return {};
    auto installed = installed_toolchains();
    if (valid_name(name) && std::find(installed.begin(), installed.end(), name) != installed.end())
        return toolchains_dir() / name;
    std::string choices = "system";
    for (const auto& other : installed)
        choices += ", " + other;
    throw UnavailableError(input_error_message(
        "config", 0, "tools",
        "toolchain root '" + name + "' is not installed in " + toolchains_dir().string() +
            " (installed: " + choices + "); install it with scripts/setup-toolchain " +
            (valid_name(name) ? name : "NAME")));
}

} // namespace detail

std::vector<std::string> root_sandbox(const std::filesystem::path& root) {
    std::vector<std::string> command{"bwrap", "--die-with-parent", "--unshare-ipc"};
    static const std::vector<std::string> kSystemDirs{"usr", "etc", "var", "opt"};
    std::error_code ec;
    std::vector<std::filesystem::directory_entry> entries; // sorted: the same argv everywhere
    for (const auto& entry : std::filesystem::directory_iterator(root, ec))
        entries.push_back(entry);
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) {
        std::string name = entry.path().filename().string();
        if (entry.is_symlink(ec))
            command.insert(command.end(),
                           {"--symlink", std::filesystem::read_symlink(entry.path(), ec).string(),
                            "/" + name});
        else if (std::find(kSystemDirs.begin(), kSystemDirs.end(), name) != kSystemDirs.end())
            command.insert(command.end(), {"--ro-bind", entry.path().string(), "/" + name});
    }
    command.insert(command.end(), {"--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"});
    return command;
}

namespace detail {

std::vector<std::string> tool_command(const std::filesystem::path& root,
                                      const std::filesystem::path& build_dir,
                                      std::vector<std::string> argv) {
    if (root.empty())
        return argv;
    std::vector<std::string> command = root_sandbox(root);
    if (!build_dir.empty())
        command.insert(command.end(), {"--bind", build_dir.string(), build_dir.string(), "--chdir",
                                       build_dir.string()});
    // The host's PATH and TMPDIR name host directories; inside the root these are its own.
    command.insert(command.end(),
                   {"--setenv", "PATH", "/usr/bin:/bin", "--setenv", "TMPDIR", "/tmp", "--"});
    command.push_back("/usr/bin/" + argv.front());
    command.insert(command.end(), argv.begin() + 1, argv.end());
    return command;
}

ToolOutput tool_output(const std::string& tools, std::vector<std::string> argv,
                       std::chrono::milliseconds limit) {
    process::Spec spec;
    spec.argv = tool_command(tools_root(tools), {}, std::move(argv));
    spec.timeout = probe_limit(limit);
    spec.set_env = {{"LC_ALL", "C"}};
    auto result = process::run(spec);
    using Outcome = process::Result::Outcome;
    bool complete = result.outcome == Outcome::exited || result.outcome == Outcome::spawn_failed;
    return {result.out + result.err, complete};
}

std::string yosys_version(const std::string& tools, std::chrono::milliseconds limit) {
    static PerToolchain<std::string> versions;
    return versions.get(
        tools,
        [&] {
            return process::probe_version(tool_command(tools_root(tools), {}, {"yosys", "-V"}),
                                          probe_limit(limit));
        },
        answered);
}

} // namespace detail

std::map<std::string, std::string> tool_provenance(const std::string& tools,
                                                   std::chrono::milliseconds limit) {
    static PerToolchain<std::map<std::string, std::string>> provenance;
    return provenance.get(
        tools,
        [&] {
            auto root = detail::tools_root(tools);
            auto probe = [&](std::vector<std::string> argv) {
                return process::probe_version(detail::tool_command(root, {}, std::move(argv)),
                                              probe_limit(limit));
            };
            std::map<std::string, std::string> out;
            out["tools.root"] = root.empty() ? "system" : root.string();
            out["tool.yosys"] = detail::yosys_version(tools, limit);
            out["tool.nextpnr-ice40"] = probe({"nextpnr-ice40", "--version"});
            // icepack has no version flag; the Debian package version names the build.
            std::vector<std::string> query{"dpkg-query", "-W", "-f", "fpga-icestorm ${Version}",
                                           "fpga-icestorm"};
            if (!root.empty())
                query.insert(query.begin() + 1, "--admindir=" + (root / "var/lib/dpkg").string());
            out["tool.icepack"] = process::probe_version(query, probe_limit(limit));
            if (root.empty() && process::find_executable("icepack").empty())
                out["tool.icepack"] = "not found";
            // issue 27: family: the ECP5 tools, where this toolchain has them.
            bool has_ecp5 = root.empty() ? !process::find_executable("nextpnr-ecp5").empty()
                                         : std::filesystem::exists(root / "usr/bin/nextpnr-ecp5");
            if (has_ecp5) {
                out["tool.nextpnr-ecp5"] = probe({"nextpnr-ecp5", "--version"});
                std::vector<std::string> trellis{"dpkg-query", "-W", "-f",
                                                 "fpga-trellis ${Version}", "fpga-trellis"};
                if (!root.empty())
                    trellis.insert(trellis.begin() + 1,
                                   "--admindir=" + (root / "var/lib/dpkg").string());
                out["tool.ecppack"] = process::probe_version(trellis, probe_limit(limit));
            }
            // The Gowin tools likewise: nextpnr-gowin's version and gowin_pack's Debian package's,
            // under one key: analysis/machines.cpp tells a root's FPGA tools from the machine's
            // by the prefixes tool.yosys/nextpnr/ice/ecp, so a tool.gowin_pack key would make
            // the trixie root's runs a machine of their own.
            bool has_gowin = root.empty() ? !process::find_executable("nextpnr-gowin").empty()
                                          : std::filesystem::exists(root / "usr/bin/nextpnr-gowin");
            if (has_gowin) {
                std::vector<std::string> apycula{"dpkg-query", "-W", "-f",
                                                 "python3-apycula ${Version}", "python3-apycula"};
                if (!root.empty())
                    apycula.insert(apycula.begin() + 1,
                                   "--admindir=" + (root / "var/lib/dpkg").string());
                out["tool.nextpnr-gowin"] =
                    probe({"nextpnr-gowin", "--version"}) +
                    "; gowin_pack: " + process::probe_version(apycula, probe_limit(limit));
            }
            return out;
        },
        [](const auto& out) {
            return std::all_of(out.begin(), out.end(),
                               [](const auto& entry) { return answered(entry.second); });
        });
}

} // namespace detlab::toolchain
