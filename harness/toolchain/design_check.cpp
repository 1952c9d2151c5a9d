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
    return "rtl_dir";
}

void run_yosys_check(const detail::Settings& settings) {
    // Files are given relative to rtl_dir (names checked by source_list), so no path from the
    // configuration reaches the yosys command text.
    std::string script;
    for (const auto& entry : detail::source_list(settings.rtl_dir))
        script += "read_verilog " + entry.name + "; ";
    for (const auto& command : detail::parameter_commands(settings))
        script += command + "; ";
    script += "hierarchy -check -top " + settings.top;
    process::Spec spec;
    spec.argv = {"yosys", "-q", "-p", script};
    spec.cwd = settings.rtl_dir;
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
    throw InputError(input_error_message(
        (settings.rtl_dir / "sources.txt").string(), 0, key_of_error(text, settings),
        "yosys cannot elaborate top " + settings.top + ": " + text));
}

} // namespace

void check_design(const nlohmann::json& config) {
    auto settings = detail::settings_from(config);
    auto digests = input_digests(config); // every listed file and the pin file exist
    std::string key = settings.top + "\n" + settings.parameters.dump() + "\n";
    for (const auto& [name, sha] : digests)
        if (!name.starts_with("pcf/") && !name.starts_with("lpf/")) // issue 27: family
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
