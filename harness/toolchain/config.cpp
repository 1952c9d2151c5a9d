// The configuration keys of a build and their typed form. Defaults are the deterministic
// baseline: HeAP placer, router1, one thread, fixed seed, the small 2x2 array on an HX1K.
#include "harness/toolchain/internal.h"

namespace detlab::toolchain {

using Type = KeySpec::Type;

namespace {
// Every iCE40 that both nextpnr-ice40 (its --<device> flags) and icestorm's chip database
// (/usr/share/fpga-icestorm/chipdb/chipdb-*.txt, the ".pins" sections) know, with the packages
// that database lists for the die. The default package is a common board's: iCEstick (hx1k),
// HX8K breakout (hx8k), iCEBreaker (up5k), TinyFPGA BX (lp8k).
struct Device {
    const char* name;
    const char* default_package;
    std::vector<std::string> packages;
};

const std::vector<Device>& devices() {
    static const std::vector<std::string> die_1k{"swg16tr", "cm36",  "cm49",  "cm81",
                                                 "cm121",   "cb81",  "cb121", "cb132",
                                                 "qn84",    "tq144", "vq100"};
    static const std::vector<std::string> die_8k{"bg121", "cb132", "cm121",
                                                 "cm225", "cm81",  "ct256"};
    static const std::vector<std::string> die_5k{"sg48", "uwg30"};
    static const std::vector<Device> list{
        {"hx1k", "tq144", die_1k},
        {"hx8k", "ct256", die_8k},
        {"lp1k", "cm81", die_1k},
        {"lp8k", "cm81", die_8k},
        {"lp384", "qn32", {"qn32", "cm36", "cm49"}},
        {"up5k", "sg48", die_5k},
        {"up3k", "sg48", die_5k},
        {"u4k", "sg48", {"sg48"}},
    };
    return list;
}

std::vector<std::string> device_names() {
    std::vector<std::string> names;
    for (const auto& device : devices())
        names.push_back(device.name);
    for (const auto& device : detail::ecp5_devices()) // issue 27: family
        names.push_back(device.name);
    for (const auto& device : detail::gowin_devices())
        names.push_back(device.name);
    return names;
}

KeySpec key(std::string name, Type type, nlohmann::json default_value, std::string doc,
            double min = 0, double max = 0, std::vector<std::string> choices = {},
            bool factor = true) {
    KeySpec spec;
    spec.name = std::move(name);
    spec.type = type;
    spec.default_value = std::move(default_value);
    spec.doc = std::move(doc);
    spec.min = min;
    spec.max = max;
    spec.choices = std::move(choices);
    spec.factor = factor;
    return spec;
}
// The accelerator's array size, its top's parameter N: meaningless for another design.
KeySpec array_key() {
    KeySpec spec =
        key("array", Type::integer, 2, "systolic array size N (N x N processing elements)", 1, 8);
    spec.applies_when = KeySpec::Condition{"top", kAcceleratorTop};
    return spec;
}

KeySpec path_key() {
    KeySpec spec = key("rtl_dir", Type::string, "",
                       "directory with sources.txt, the RTL files and pcf/<device>.pcf (empty: "
                       "the project's rtl/; relative: from the experiment file's folder)",
                       0, 0, {}, false);
    spec.is_path = true;
    return spec;
}

// Keys of the design description added after the identity was defined: at their defaults
// (the accelerator) they stay out of the identity, so stored configurations keep their ids.
KeySpec design_key(KeySpec spec) {
    spec.omit_at_default = true;
    return spec;
}

// A list of paths relative to rtl_dir (include_dirs, data_files): each must be a name the
// build can mirror inside its own directory.
KeySpec path_list_key(std::string name, std::string doc, bool data) {
    KeySpec spec =
        key(std::move(name), Type::list, nlohmann::json::array(), std::move(doc), 0, 0, {}, false);
    spec.omit_at_default = true;
    spec.check = [data](const nlohmann::json& value) -> std::string {
        for (const auto& entry : value) {
            auto text = entry.get<std::string>();
            if (auto problem = detail::relative_path_problem(text); !problem.empty())
                return "\"" + text + "\": " + problem;
            if (data)
                if (auto problem = detail::build_name_problem(text); !problem.empty())
                    return "\"" + text + "\": " + problem;
        }
        return {};
    };
    return spec;
}

// Added after the identity was defined: at "system" it leaves every stored id as it was.
// Its values are the installed roots, so they are checked in settings_from, not as choices.
KeySpec tools_key() {
    KeySpec spec = key("tools", Type::string, "system",
                       "which yosys, nextpnr-ice40 and icestorm run: system (the host's) or the "
                       "name of a root installed with scripts/setup-toolchain NAME (e.g. trixie)");
    spec.omit_at_default = true;
    return spec;
}

} // namespace

const std::vector<KeySpec>& config_keys() {
    static const std::vector<KeySpec> keys{
        array_key(),
        key("device", Type::string, "hx1k",
            "FPGA device: an iCE40 (hx1k, hx8k, ...), an ECP5 (lfe5u-25f, lfe5u-45f, "
            "lfe5u-85f, ...) or a Gowin (gw1nr-9, gw1n-1); ECP5 and Gowin need "
            "tools = \"trixie\"",
            0, 0, device_names()),
        key("package", Type::string, "",
            "device package (empty: the device's common board's: tq144 for hx1k, ct256 for "
            "hx8k, cm81 for lp1k and lp8k, qn32 for lp384, sg48 for up5k, up3k and u4k; "
            "CABGA381 for an ECP5; QN88 for gw1nr-9, QN48 for gw1n-1)"),
        key("freq_mhz", Type::real, 12.0, "target clock frequency given to nextpnr (MHz)", 1, 1000),
        key("seed", Type::integer, 1, "nextpnr placement seed", 0, 2147483647),
        key("threads", Type::integer, 1, "nextpnr --threads", 1, 256),
        key("parallel_refine", Type::boolean, false, "nextpnr --parallel-refine (HeAP placer)"),
        key("placer", Type::string, "heap",
            "nextpnr placer (static: nextpnr 0.7 and later, e.g. tools = \"trixie\")", 0, 0,
            {"heap", "sa", "static"}),
        key("router", Type::string, "router1", "nextpnr router", 0, 0, {"router1", "router2"}),
        key("build_path", Type::string, "build",
            "name of the directory the run builds in (relative, may have several components)"),
        key("path_style", Type::string, "relative",
            "how the tools are given file names: relative to the build directory, or absolute "
            "(absolute paths end up in the netlist's src attributes)",
            0, 0, {"relative", "absolute"}),
        key("environment", Type::string, "baseline",
            "environment preset of the tools: baseline (LC_ALL=C, TZ=UTC, umask 022), locale "
            "(LC_ALL=C.UTF-8), timezone (TZ=Pacific/Chatham), umask (077), inherit (the "
            "harness's own environment and umask)",
            0, 0, {"baseline", "locale", "timezone", "umask", "inherit"}),
        key("file_order", Type::string, "listed",
            "order of the RTL files given to yosys: as in sources.txt, reversed, or shuffled "
            "by shuffle_seed",
            0, 0, {"listed", "reversed", "shuffled"}),
        key("shuffle_seed", Type::integer, 1, "seed of file_order=shuffled", 0, 2147483647),
        key("aslr", Type::boolean, true,
            "address space randomisation of the tools (false: personality ADDR_NO_RANDOMIZE, "
            "like setarch -R)"),
        key("rtl_rename", Type::boolean, false,
            "rename every internal signal of the RTL (a textual rewrite with no functional "
            "effect)"),
        key("rtl_dead_logic", Type::string, "none",
            "add a free-running counter that drives nothing: removable (synthesis may delete "
            "it) or kept (marked keep, so it is placed and routed)",
            0, 0, {"none", "removable", "kept"}),
        key("reuse_synthesis", Type::boolean, true,
            "reuse a cached netlist when the yosys version, script and sources are identical", 0, 0,
            {}, false),
        key("stage_timeout_s", Type::real, 600.0, "time limit of each tool (seconds)", 0.01, 86400,
            {}, false),
        path_key(),
        design_key(key("top", Type::string, kAcceleratorTop,
                       "the design's top module (detlab_top: the accelerator in rtl/)", 0, 0, {},
                       false)),
        design_key(key("parameters", Type::table, nlohmann::json::object(),
                       "top-level parameters given to yosys (chparam), NAME = integer or "
                       "\"text\" (a string parameter, e.g. a $readmemh file); the accelerator's "
                       "N is the key array",
                       0, 0, {}, false)),
        tools_key(),
        path_list_key("include_dirs",
                      "folders (relative to rtl_dir) searched for `include files after the "
                      "including file's own folder (read_verilog -I)",
                      false),
        design_key(key("defines", Type::table, nlohmann::json::object(),
                       "preprocessor macros, NAME = integer or \"text\" (\"\": defined without "
                       "a value; read_verilog -D)",
                       0, 0, {}, false)),
        path_list_key("data_files",
                      "files the design reads while it is elaborated ($readmemh/$readmemb), "
                      "relative to rtl_dir; each is placed at the same relative path where the "
                      "tools run",
                      true),
    };
    return keys;
}

namespace detail {

namespace {

void check_build_path(const std::string& build_path) {
    std::filesystem::path path(build_path);
    bool bad = build_path.empty() || path.is_absolute();
    for (const auto& part : path)
        bad = bad || part == ".." || part == ".";
    if (bad)
        throw InputError(input_error_message(
            "config", 0, "build_path",
            "'" + build_path + "' must be a relative path without '.' or '..' components"));
}

void check_design_keys(const Settings& s) {
    // The top and the parameter names reach the yosys script, so they must be identifiers.
    if (!is_identifier(s.top))
        throw InputError(
            input_error_message("config", 0, "top", "\"" + s.top + "\" is not a module name"));
    if (s.top == kAcceleratorTop && s.parameters.contains("N"))
        throw InputError(input_error_message("config", 0, "parameters.N",
                                             "the accelerator's N is set by the key array"));
}

void complete_package(Settings& s) {
    s.family = family_of(s.device); // issue 27: family
    if (s.family != Family::ice40) {
        const FamilyDevice* device = family_device(s.device);
        if (s.package.empty())
            s.package = device->default_package;
        if (std::find(device->packages.begin(), device->packages.end(), s.package) ==
            device->packages.end())
            throw InputError(
                input_error_message("config", 0, "package",
                                    "\"" + s.package + "\" is not a package of " + s.device +
                                        " (packages: " + join(device->packages) + ")"));
        return;
    }
    auto device = std::find_if(devices().begin(), devices().end(),
                               [&](const Device& d) { return s.device == d.name; });
    if (device == devices().end())
        throw InputError(input_error_message(
            "config", 0, "device", "\"" + s.device + "\" is not one of: " + join(device_names())));
    if (s.package.empty())
        s.package = device->default_package;
    if (std::find(device->packages.begin(), device->packages.end(), s.package) ==
        device->packages.end())
        throw InputError(input_error_message("config", 0, "package",
                                             "\"" + s.package + "\" is not a package of " +
                                                 s.device +
                                                 " (packages: " + join(device->packages) + ")"));
}

} // namespace

Settings settings_from(const nlohmann::json& config) {
    Settings s;
    s.top = config.value("top", std::string(kAcceleratorTop));
    s.parameters = config.value("parameters", nlohmann::json::object());
    check_design_keys(s);
    if (s.top == kAcceleratorTop)
        s.parameters["N"] = config.at("array").get<int>();
    s.device = config.at("device").get<std::string>();
    s.package = config.at("package").get<std::string>();
    complete_package(s);
    s.freq_mhz = config.at("freq_mhz").get<double>();
    s.seed = config.at("seed").get<long long>();
    s.threads = config.at("threads").get<int>();
    s.parallel_refine = config.at("parallel_refine").get<bool>();
    s.placer = config.at("placer").get<std::string>();
    s.router = config.at("router").get<std::string>();
    s.build_path = config.at("build_path").get<std::string>();
    check_build_path(s.build_path);
    s.path_style = config.at("path_style").get<std::string>();
    s.environment = config.at("environment").get<std::string>();
    s.file_order = config.at("file_order").get<std::string>();
    s.shuffle_seed = config.at("shuffle_seed").get<long long>();
    s.aslr = config.at("aslr").get<bool>();
    s.rtl_rename = config.at("rtl_rename").get<bool>();
    s.rtl_dead_logic = config.at("rtl_dead_logic").get<std::string>();
    s.reuse_synthesis = config.at("reuse_synthesis").get<bool>();
    s.stage_timeout_s = config.at("stage_timeout_s").get<double>();
    std::string rtl_dir = config.at("rtl_dir").get<std::string>();
    s.rtl_dir = std::filesystem::absolute(rtl_dir.empty() ? source_root() / "rtl"
                                                          : std::filesystem::path(rtl_dir));
    s.include_dirs = config.value("include_dirs", std::vector<std::string>{});
    s.defines = config.value("defines", nlohmann::json::object());
    s.data_files = config.value("data_files", std::vector<std::string>{});
    s.tools = config.value("tools", std::string("system"));
    s.tools_root = tools_root(s.tools);
    require_family_tools(s); // issue 27: family
    return s;
}

std::vector<std::string> parameter_commands(const Settings& settings) {
    std::vector<std::string> commands;
    // dump() writes an integer as digits and a string in double quotes, which is how chparam
    // tells them apart; both were checked (identifier names, plain-text strings).
    for (const auto& [name, value] : settings.parameters.items())
        commands.push_back("chparam -set " + name + " " + value.dump() + " " + settings.top);
    if (deferred_elaboration(settings))
        commands.push_back("hierarchy -top " + settings.top);
    return commands;
}

bool deferred_elaboration(const Settings& settings) {
    if (!settings.data_files.empty())
        return true;
    for (const auto& [name, value] : settings.parameters.items())
        if (value.is_string())
            return true;
    return false;
}

ToolEnvironment environment_preset(const std::string& name) {
    ToolEnvironment env;
    env.variables = {{"LC_ALL", "C"}, {"TZ", "UTC"}};
    if (name == "locale")
        env.variables["LC_ALL"] = "C.UTF-8";
    else if (name == "timezone")
        env.variables["TZ"] = "Pacific/Chatham";
    else if (name == "umask")
        env.umask = 077;
    else if (name == "inherit") {
        env.variables.clear();
        env.umask.reset();
    }
    return env;
}

} // namespace detail
} // namespace detlab::toolchain
