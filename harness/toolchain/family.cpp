// Which flow a device's family runs (issue 27: family): the iCE40's in build.cpp, the ECP5's
// (family_ecp5.cpp) and the Gowin's (family_gowin.cpp) through the table and argv below. Both
// of the latter need Debian 13's tools (the trixie root), which a toolchain without them is
// refused for before anything runs, naming the key `tools` and the command that installs them.
#include "harness/toolchain/internal.h"

namespace detlab::toolchain::detail {
namespace {

bool has_tool(const Settings& s, const std::string& tool) {
    if (s.tools_root.empty())
        return !process::find_executable(tool).empty();
    return std::filesystem::exists(s.tools_root / "usr/bin" / tool);
}

const FamilyDevice* find_in(const std::vector<FamilyDevice>& list, const std::string& name) {
    for (const auto& d : list)
        if (d.name == name)
            return &d;
    return nullptr;
}

} // namespace

const FamilyDevice* family_device(const std::string& device) {
    if (const auto* d = find_in(ecp5_devices(), device))
        return d;
    return find_in(gowin_devices(), device);
}

Family family_of(const std::string& device) {
    if (find_in(ecp5_devices(), device))
        return Family::ecp5;
    if (find_in(gowin_devices(), device))
        return Family::gowin;
    return Family::ice40;
}

std::string family_name(Family family) {
    switch (family) {
    case Family::ecp5:
        return "ecp5";
    case Family::gowin:
        return "gowin";
    case Family::ice40:
        break;
    }
    return "ice40";
}

const FamilyFlow& family_flow(Family family) {
    // ECP5: nextpnr writes the textual configuration ecppack reads; the .bit is the bitstream.
    static const FamilyFlow ecp5{
        "pins.lpf",      "synth_ecp5",
        "ecppack",       "bitstream.config",
        "bitstream.bit", {"bitstream.config", "routed.json", "nextpnr-report.json"}};
    // Gowin: gowin_pack reads nextpnr's routed netlist; the .fs (text of 0/1 lines) is the
    // bitstream. -nobram: nextpnr-gowin 0.7 cannot place block RAM (family_gowin.cpp).
    static const FamilyFlow gowin{"pins.cst",     "synth_gowin -nobram",
                                  "gowin_pack",   "routed.json",
                                  "bitstream.fs", {"routed.json", "nextpnr-report.json"}};
    static const FamilyFlow ice40{"pins.pcf",      "synth_ice40",
                                  "icepack",       "bitstream.asc",
                                  "bitstream.bin", {"bitstream.asc", "nextpnr-report.json"}};
    switch (family) {
    case Family::ecp5:
        return ecp5;
    case Family::gowin:
        return gowin;
    case Family::ice40:
        break;
    }
    return ice40;
}

std::filesystem::path family_pin_file(const Settings& s) {
    return s.family == Family::gowin ? gowin_pin_file(s) : ecp5_pin_file(s);
}

std::vector<std::string> family_nextpnr_argv(const Settings& s,
                                             const std::function<std::string(std::string)>& path) {
    return s.family == Family::gowin ? gowin_nextpnr_argv(s, path) : ecp5_nextpnr_argv(s, path);
}

std::vector<std::string> family_pack_argv(const Settings& s,
                                          const std::function<std::string(std::string)>& path) {
    return s.family == Family::gowin ? gowin_pack_argv(s, path) : ecp5_pack_argv(path);
}

void require_family_tools(const Settings& s) {
    std::vector<const char*> tools;
    const char* label = "";
    if (s.family == Family::ecp5) {
        tools = {"nextpnr-ecp5", "ecppack"};
        label = "ECP5";
    } else if (s.family == Family::gowin) {
        tools = {"nextpnr-gowin", "gowin_pack"};
        label = "Gowin";
    }
    for (const char* tool : tools)
        if (!has_tool(s, tool))
            throw UnavailableError(input_error_message(
                "config", 0, "tools",
                "device " + s.device + " (" + label + ") needs " + tool + ", which toolchain '" +
                    s.tools +
                    "' lacks; Debian 13 ships it: install scripts/setup-toolchain trixie (a "
                    "root installed before has it added by running that again) and set "
                    "tools = \"trixie\""));
}

std::optional<double> logic_utilisation_pct(const std::string& report_json, Family family) {
    auto json = nlohmann::json::parse(report_json, nullptr, false);
    if (json.is_discarded() || !json.contains("utilization") || !json["utilization"].is_object())
        return std::nullopt;
    // The logic element of each family: a LUT4 + flip-flop cell (iCE40; Gowin's SLICE bel, one
    // per LUT4 of the part: 8640 on the GW1NR-9), a LUT4 (ECP5, whose flip-flops are a separate
    // bel type of the same count).
    const char* cell = family == Family::ecp5    ? "TRELLIS_COMB"
                       : family == Family::gowin ? "SLICE"
                                                 : "ICESTORM_LC";
    const auto& usage = json["utilization"];
    if (!usage.contains(cell) || !usage[cell].contains("used") ||
        !usage[cell].contains("available"))
        return std::nullopt;
    double available = usage[cell]["available"].get<double>();
    if (available <= 0)
        return std::nullopt;
    return 100.0 * usage[cell]["used"].get<double>() / available;
}

} // namespace detlab::toolchain::detail

namespace detlab::toolchain {
std::string device_family(const std::string& device) {
    return detail::family_name(detail::family_of(device));
}
} // namespace detlab::toolchain
