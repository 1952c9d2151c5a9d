// What a stranger needs to re-run a stored run: tool versions, source commit, host and the
// environment that reaches the tools.
#include "harness/observation/observation.h"
#include "harness/process/process.h"

#include <algorithm>
#include <fstream>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

namespace detlab::observation {
namespace {

constexpr auto kProbeTimeout = std::chrono::seconds(20);

// Variables that change what the tools produce or how they run.
const char* const kToolEnvironment[] = {"LC_ALL",
                                        "LANG",
                                        "LC_CTYPE",
                                        "LC_NUMERIC",
                                        "LC_COLLATE",
                                        "TZ",
                                        "PATH",
                                        "SOURCE_DATE_EPOCH",
                                        "OMP_NUM_THREADS",
                                        "OMP_SCHEDULE",
                                        "TMPDIR",
                                        "VERILATOR_ROOT",
                                        "DETLAB_ROOT",
                                        "LD_PRELOAD",
                                        "LD_LIBRARY_PATH",
                                        "MALLOC_PERTURB_",
                                        "GLIBC_TUNABLES"};

std::string trim(std::string text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::string compiler_version() {
#if defined(__clang__)
    return std::string("clang++ ") + __VERSION__;
#elif defined(__GNUC__)
    return std::string("g++ ") + __VERSION__;
#else
    return __VERSION__;
#endif
}

void add_git(std::map<std::string, std::string>& out, std::chrono::milliseconds limit) {
    auto root = source_root().string();
    process::Spec spec;
    spec.argv = {"git", "-C", root, "rev-parse", "HEAD"};
    spec.timeout = limit;
    auto head = process::run(spec);
    if (!head.ok()) {
        out["git.commit"] = "not a git checkout";
        return;
    }
    out["git.commit"] = trim(head.out);
    // Tracked files only, like `git describe --dirty`: build directories are not edits.
    spec.argv = {"git", "-C", root, "status", "--porcelain", "--untracked-files=no"};
    auto status = process::run(spec);
    out["git.dirty"] = !status.ok() ? "unknown" : trim(status.out).empty() ? "false" : "true";
}

// The simulators that several domains use. The FPGA tools (yosys, nextpnr-ice40, icestorm) are
// probed by the toolchain module, from the root each build runs in (toolchain::tool_provenance).
std::map<std::string, std::string> probe_tools(std::chrono::milliseconds limit) {
    limit =
        std::clamp(limit, std::chrono::milliseconds(1), std::chrono::milliseconds(kProbeTimeout));
    std::map<std::string, std::string> tools;
    tools["tool.compiler"] = compiler_version();
    if (process::processes_forbidden()) { // a unit test running a domain: say so, start nothing
        for (const char* key : {"tool.verilator", "tool.iverilog", "git.commit", "git.dirty"})
            tools[key] = "not probed (DETLAB_FORBID_PROCESS=1)";
        return tools;
    }
    tools["tool.verilator"] = process::probe_version({"verilator", "--version"}, limit);
    tools["tool.iverilog"] = process::probe_version({"iverilog", "-V"}, limit);
    add_git(tools, limit);
    return tools;
}

std::string cpu_model() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
            return trim(line.substr(line.find(':') + 1));
    return "unknown";
}

std::string os_description() {
    struct utsname name {};
    if (::uname(&name) != 0)
        return "unknown";
    std::string text =
        std::string(name.sysname) + " " + name.release + " " + name.version + " " + name.machine;
    std::ifstream release("/etc/os-release");
    for (std::string line; std::getline(release, line);)
        if (line.rfind("PRETTY_NAME=", 0) == 0) {
            auto pretty = line.substr(12);
            if (pretty.size() >= 2 && pretty.front() == '"')
                pretty = pretty.substr(1, pretty.size() - 2);
            text = pretty + "; " + text;
        }
    return text;
}

} // namespace

db::RunResult start_record(db::RunKind kind, const std::string& experiment) {
    db::RunResult run;
    run.id = db::new_observation_id();
    run.kind = db::kind_name(kind);
    run.experiment = experiment;
    run.host = host_name();
    run.started_at = unix_time_now();
    return run;
}

std::string param_text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

db::RunResult start_configured_record(db::RunKind kind, const std::string& experiment,
                                      const nlohmann::json& config, std::string config_id,
                                      int repeat, const db::InputDigests& inputs) {
    db::RunResult run = start_record(kind, experiment);
    run.config_json = config.dump();
    run.config_id = std::move(config_id);
    run.repeat = repeat;
    for (const auto& [key, value] : config.items())
        run.add_param(key, param_text(value));
    run.provenance = capture_provenance();
    for (const auto& [name, sha] : inputs)
        run.provenance[db::kInputProvenancePrefix + name] = sha;
    return run;
}

std::map<std::string, std::string> capture_provenance(std::chrono::milliseconds probe_limit) {
    // Tool versions cost a few process launches: probe once per process (thread-safe static).
    static const std::map<std::string, std::string> tools = probe_tools(probe_limit);
    auto out = tools;
    out["host"] = host_name();
    out["cpu.model"] = cpu_model();
    out["cpu.cores"] = std::to_string(std::thread::hardware_concurrency());
    out["os"] = os_description();
    out["detlab.version"] = DETLAB_VERSION;
    for (const char* name : kToolEnvironment) {
        const char* value = std::getenv(name);
        out[std::string("env.") + name] = value ? value : "(unset)";
    }
    return out;
}

} // namespace detlab::observation
