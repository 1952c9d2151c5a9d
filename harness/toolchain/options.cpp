// Options that differ between tool versions. The harness gives every version the same argv, so
// before a build it reads what this toolchain's nextpnr-ice40 offers (its --help, once per
// toolchain; yosys's synth_ice40 options used here are the same from 0.23 to 0.52) and refuses a
// factor value the version lacks, naming the key and what the version offers instead, rather than
// letting the tool fail mid-sweep.
#include "harness/toolchain/internal.h"

#include <mutex>
#include <regex>
#include <sstream>

namespace detlab::toolchain::detail {
namespace {

constexpr auto kHelpLimit = std::chrono::seconds(20);

// What one toolchain's tools accept, from their help texts.
struct Offered {
    std::string nextpnr_version;
    NextpnrHelp help; // no options: the probe gave nothing usable (missing tool, cut short)
};

// "placer algorithm to use; available: sa, heap; default: heap" -> {sa, heap}.
std::vector<std::string> available(const std::string& text) {
    std::vector<std::string> names;
    auto at = text.find("available:");
    if (at == std::string::npos)
        return names;
    std::string list = text.substr(at + 10, text.find(';', at) - at - 10);
    static const std::regex name(R"([a-z0-9_-]+)");
    for (std::sregex_iterator it(list.begin(), list.end(), name), end; it != end; ++it)
        names.push_back(it->str());
    return names;
}

// A probe that was cut short (time limit, signal) is "unknown": its text is not used and it
// is not remembered, so the next build asks again (a loaded machine must not poison a process).
std::optional<Offered> probe(const std::string& tools, std::chrono::milliseconds limit) {
    Offered offered;
    auto help = tool_output(tools, {"nextpnr-ice40", "--help"}, limit);
    auto version = tool_output(tools, {"nextpnr-ice40", "--version"}, limit);
    if (!help.complete || !version.complete)
        return std::nullopt;
    // A help that stops mid-line was cut (a pipe closed early, a tool killed while writing,
    // seen from a wrapper script): its options are a prefix of the real ones, and checking a
    // build against them would refuse options the tool has. Unknown, like a timed-out probe.
    if (!help.text.empty() && help.text.back() != '\n')
        return std::nullopt;
    offered.help = parse_nextpnr_help(help.text);
    offered.nextpnr_version = version.text.substr(0, version.text.find('\n'));
    return offered;
}

// Bounded by the run's stage limit (and 20 s), like the version probes.
// A copy, not a reference: an unknown answer is not in the cache.
Offered offered_by(const std::string& tools, std::chrono::milliseconds limit = kHelpLimit) {
    static std::mutex mutex;
    static std::map<std::string, Offered> cache;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(tools); it != cache.end())
        return it->second;
    auto offered = probe(tools, std::min<std::chrono::milliseconds>(limit, kHelpLimit));
    if (!offered)
        return Offered{"unknown (the probe was cut short)", {}};
    return cache.emplace(tools, std::move(*offered)).first->second;
}

void require(bool ok, const Settings& s, const std::string& key, const std::string& problem) {
    if (!ok)
        throw InputError(input_error_message("config", 0, key,
                                             problem + " in toolchain '" + s.tools + "' (" +
                                                 offered_by(s.tools).nextpnr_version + ")"));
}

void check_choice(const Settings& s, const std::string& key, const std::string& value,
                  const std::vector<std::string>& offered) {
    // A help text that lists nothing (an unknown layout) leaves the check to the tool itself.
    if (offered.empty())
        return;
    bool ok = std::find(offered.begin(), offered.end(), value) != offered.end();
    require(ok, s, key,
            "nextpnr-ice40 has no " + key + " '" + value + "' (it offers " + join(offered) + ")");
}

} // namespace

void check_tool_options(const Settings& settings) {
    // issue 27: family: these are nextpnr-ice40's options; nextpnr-ecp5 and nextpnr-gowin (which
    // only Debian 13's root has, one version) name an unknown option themselves in their stage's
    // message.
    if (settings.family != Family::ice40)
        return;
    const Offered offered =
        offered_by(settings.tools,
                   std::chrono::milliseconds(static_cast<long>(settings.stage_timeout_s * 1e3)));
    // No help at all: the tool is missing, broken or was too slow to answer; its stage reports
    // the first two with its own text.
    const auto& options = offered.help.options;
    if (options.empty())
        return;
    for (const char* option : {"--threads", "--seed", "--freq", "--timing-allow-fail", "--report",
                               "--pcf", "--package", "--asc", "--json"})
        require(options.contains(option), settings, "tools",
                std::string("nextpnr-ice40 has no ") + option);
    require(options.contains("--" + settings.device), settings, "device",
            "nextpnr-ice40 has no --" + settings.device);
    check_choice(settings, "placer", settings.placer, offered.help.placers);
    check_choice(settings, "router", settings.router, offered.help.routers);
    if (settings.parallel_refine)
        require(options.contains("--parallel-refine"), settings, "parallel_refine",
                "nextpnr-ice40 has no --parallel-refine");
}

} // namespace detlab::toolchain::detail

namespace detlab::toolchain {

// An option line starts with "  --name" or "  -r [ --name ]"; its description continues on
// lines indented further. A line of spaces only (a help cut mid-line) ends the option.
NextpnrHelp parse_nextpnr_help(const std::string& help) {
    static const std::regex head(R"(^  (?:-\w \[ )?(--[a-z0-9-]+)(?: \])?(.*)$)");
    NextpnrHelp parsed;
    std::istringstream lines(help);
    std::string line, current;
    while (std::getline(lines, line)) {
        std::smatch match;
        auto text_start = line.find_first_not_of(' ');
        if (std::regex_match(line, match, head)) {
            current = match[1].str();
            parsed.options[current] = match[2].str();
        } else if (!current.empty() && line.starts_with("    ") &&
                   text_start != std::string::npos) {
            auto& text = parsed.options[current];
            text.push_back(' ');
            text.append(line, text_start);
        } else {
            current.clear();
        }
    }
    auto text_of = [&](const char* option) {
        auto it = parsed.options.find(option);
        return it == parsed.options.end() ? std::string() : it->second;
    };
    parsed.placers = detail::available(text_of("--placer"));
    parsed.routers = detail::available(text_of("--router"));
    return parsed;
}

} // namespace detlab::toolchain
