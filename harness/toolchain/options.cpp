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
    std::map<std::string, std::string> option_text; // "--placer" -> its description, unwrapped
    std::vector<std::string> placers, routers;      // empty: the help does not list them
};

// nextpnr's help (boost::program_options): an option line starts with "  --name" or
// "  -r [ --name ]", its description continues on lines indented further.
std::map<std::string, std::string> parse_options(const std::string& help) {
    static const std::regex head(R"(^  (?:-\w \[ )?(--[a-z0-9-]+)(?: \])?(.*)$)");
    std::map<std::string, std::string> options;
    std::istringstream lines(help);
    std::string line, current;
    while (std::getline(lines, line)) {
        std::smatch match;
        if (std::regex_match(line, match, head)) {
            current = match[1].str();
            options[current] = match[2].str();
        } else if (!current.empty() && line.starts_with("    ")) {
            auto& text = options[current];
            text.push_back(' ');
            text.append(line, line.find_first_not_of(' '));
        } else {
            current.clear();
        }
    }
    return options;
}

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

Offered probe(const std::string& tools, std::chrono::milliseconds limit) {
    Offered offered;
    std::string help = tool_output(tools, {"nextpnr-ice40", "--help"}, limit);
    offered.option_text = parse_options(help);
    // find, not operator[]: an inserted empty entry would make a missing tool's empty help
    // look like a help text that lacks every option.
    auto text_of = [&](const char* option) {
        auto it = offered.option_text.find(option);
        return it == offered.option_text.end() ? std::string() : it->second;
    };
    offered.placers = available(text_of("--placer"));
    offered.routers = available(text_of("--router"));
    std::string version = tool_output(tools, {"nextpnr-ice40", "--version"}, limit);
    offered.nextpnr_version = version.substr(0, version.find('\n'));
    return offered;
}

// Bounded by the run's stage limit (and 20 s), like the version probes.
const Offered& offered_by(const std::string& tools, std::chrono::milliseconds limit = kHelpLimit) {
    static std::mutex mutex;
    static std::map<std::string, Offered> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(tools);
    if (it == cache.end())
        it = cache
                 .emplace(tools,
                          probe(tools, std::min<std::chrono::milliseconds>(limit, kHelpLimit)))
                 .first;
    return it->second;
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
    const Offered& offered =
        offered_by(settings.tools,
                   std::chrono::milliseconds(static_cast<long>(settings.stage_timeout_s * 1e3)));
    // No help at all: the tool is missing or broken, which its stage reports with its own text.
    if (offered.option_text.empty())
        return;
    for (const char* option : {"--threads", "--seed", "--freq", "--timing-allow-fail", "--report",
                               "--pcf", "--package", "--asc", "--json"})
        require(offered.option_text.contains(option), settings, "tools",
                std::string("nextpnr-ice40 has no ") + option);
    require(offered.option_text.contains("--" + settings.device), settings, "device",
            "nextpnr-ice40 has no --" + settings.device);
    check_choice(settings, "placer", settings.placer, offered.placers);
    check_choice(settings, "router", settings.router, offered.routers);
    if (settings.parallel_refine)
        require(offered.option_text.contains("--parallel-refine"), settings, "parallel_refine",
                "nextpnr-ice40 has no --parallel-refine");
}

} // namespace detlab::toolchain::detail
