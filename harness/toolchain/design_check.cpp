// The design check before anything runs: the files a build reads exist, and yosys finds the top
// module and every parameter the configuration sets in the sources as listed. It costs one
// short yosys parse per design (not per build), so a sweep of a broken design fails at once
// with exit 2 instead of recording every run as failed.
#include "harness/toolchain/internal.h"

#include <mutex>
#include <set>

namespace detlab::toolchain {
namespace {

// The key a yosys error is about, so the message names what the user should change.
std::string key_of_error(const std::string& text, const detail::Settings& settings) {
    if (text.find("Module `" + settings.top + "' not found") != std::string::npos)
        return "top";
    if (text.find("defparam") != std::string::npos)
        return settings.top == kAcceleratorTop ? "array" : "parameters";
    if (text.find("$readmem") != std::string::npos)
        return "data_files";
    if (text.find("include file") != std::string::npos)
        return "include_dirs";
    return "rtl_dir";
}

// The design as the build will read it (sources at src/<path>, include and data files beside
// them), in a directory of its own: a file the configuration does not declare is not there, so
// yosys fails on it here as the build would, inside a tool root too.
void run_yosys_check(const detail::Settings& listed) {
    auto settings = listed; // the sources unedited, in their listed order
    settings.file_order = "listed";
    settings.rtl_rename = false;
    settings.rtl_dead_logic = "none";
    auto sources = detail::prepare_sources(settings);
    auto design = detail::design_inputs(settings);
    TempDir dir("detlab-design-check");
    for (const auto& source : sources) {
        std::filesystem::create_directories((dir.path() / "src" / source.name).parent_path());
        write_file(dir.path() / "src" / source.name, source.text);
    }
    detail::write_design_files(settings, design, dir.path());
    // The family's cell library first, as synth_ice40 reads it: a design may instantiate
    // SB_IO, SB_PLL40_CORE or SB_RAM40_4K itself. File names are checked relative paths and
    // parameters checked plain text, so nothing from the configuration becomes a command.
    std::string script = "read_verilog -lib +/ice40/cells_sim.v; ";
    std::string read = "read_verilog ";
    if (detail::deferred_elaboration(settings))
        read += "-defer ";
    for (const auto& option : detail::read_options(settings, ""))
        read += option + " ";
    for (const auto& source : sources)
        script += read + "src/" + source.name + "; ";
    for (const auto& command : detail::parameter_commands(settings))
        script += command + "; ";
    script += "hierarchy -check -top " + settings.top;
    process::Spec spec;
    spec.argv =
        detail::tool_command(settings.tools_root, dir.path(), {"yosys", "-q", "-p", script});
    spec.cwd = dir.path();
    spec.set_env = {{"LC_ALL", "C"}};
    spec.timeout = std::chrono::milliseconds(
        static_cast<long>(std::min(settings.stage_timeout_s, 120.0) * 1e3));
    auto result = process::run(spec);
    if (result.ok())
        return;
    std::string text = result.outcome == process::Result::Outcome::spawn_failed
                           ? result.error
                           : detail::tool_error_text(result.out, result.err);
    if (text.empty())
        text = result.describe();
    if (auto include = detail::explain_tool_error(text, design, settings); !include.empty())
        throw InputError(include);
    throw InputError(input_error_message(
        (settings.rtl_dir / "sources.txt").string(), 0, key_of_error(text, settings),
        "yosys cannot elaborate top " + settings.top + ": " + text));
}

} // namespace

void check_design(const nlohmann::json& config) {
    auto settings = detail::settings_from(config);
    detail::check_tool_options(settings); // a factor value this nextpnr lacks, before any store
    auto digests = input_digests(config); // every listed file and the pin file exist
    std::string key = settings.top + "\n" + settings.parameters.dump() + "\n" +
                      settings.defines.dump() + "\n" +
                      nlohmann::json(settings.include_dirs).dump() + "\n" + settings.tools + "\n";
    for (const auto& [name, sha] : digests)
        if (!name.starts_with("pcf/") && !name.starts_with("lpf/") &&
            !name.starts_with("cst/")) // issue 27: family
            key += name + " " + sha + "\n";
    static std::mutex mutex;
    static std::set<std::string> checked; // designs yosys accepted in this process
    {
        std::lock_guard lock(mutex);
        if (checked.contains(key))
            return;
    }
    run_yosys_check(settings);
    std::lock_guard lock(mutex);
    checked.insert(key);
}

} // namespace detlab::toolchain
