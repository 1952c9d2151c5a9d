// Private pieces of the toolchain module, shared by its .cpp files.
#pragma once

#include "harness/process/process.h"
#include "harness/toolchain/toolchain.h"

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace detlab::toolchain::detail {

// issue 27: family. The FPGA family a device belongs to decides the flow: iCE40 (synth_ice40,
// nextpnr-ice40, icepack, icetime), ECP5 (synth_ecp5, nextpnr-ecp5, ecppack; family_ecp5.cpp) or
// Gowin (synth_gowin, nextpnr-gowin, gowin_pack; family_gowin.cpp).
enum class Family { ice40, ecp5, gowin };

// The completed configuration in typed form, with derived values (package, paths) filled in.
struct Settings {
    std::string top; // the top module
    // Top-level parameters given to yosys, name -> integer; for the accelerator N = array.
    nlohmann::json parameters = nlohmann::json::object();
    std::string device, package;
    Family family = Family::ice40; // issue 27: family, from the device
    double freq_mhz = 12;
    long long seed = 1;
    int threads = 1;
    bool parallel_refine = false;
    std::string placer, router;
    std::string build_path;
    std::string path_style;
    std::string environment;
    std::string file_order;
    long long shuffle_seed = 1;
    bool aslr = true;
    bool rtl_rename = false;
    std::string rtl_dead_logic;
    bool reuse_synthesis = true;
    double stage_timeout_s = 600;
    std::filesystem::path rtl_dir;                     // absolute
    std::vector<std::string> include_dirs;             // relative to rtl_dir
    nlohmann::json defines = nlohmann::json::object(); // NAME -> integer or plain string
    std::vector<std::string> data_files;               // relative to rtl_dir
    std::string tools;                                 // "system" or an installed root's name
    std::filesystem::path tools_root;                  // empty: the host's tools
};

Settings settings_from(const nlohmann::json& config);

// The yosys commands that set the top's parameters (after the read_verilog commands). Names
// and values are checked identifiers, integers and plain-text strings (check_value), so nothing
// from the configuration can become a yosys command. With deferred elaboration they end with
// `hierarchy -top`, so the top is elaborated once, with the given values.
std::vector<std::string> parameter_commands(const Settings& settings);
// Whether the sources are read with `read_verilog -defer`: when a parameter is a string or the
// design reads data files, its defaults may name a file that does not exist, and yosys would
// elaborate them at once without -defer. Other designs keep the eager read, whose netlists
// differ (the accelerator: 1598 cells eager, 1597 deferred), so stored results stay comparable.
bool deferred_elaboration(const Settings& settings);
// The options every read_verilog of the design carries: -D per define, -I per include folder
// (its copy under `prefix`src/, prefix "" or the build directory with a slash).
std::vector<std::string> read_options(const Settings& settings, const std::string& prefix);

// Why `path` cannot name a file or folder of the design (absolute, leaves rtl_dir, characters
// a script could misread), or empty.
std::string relative_path_problem(const std::string& path);
// Why rtl_dir/`relative` may not be read although its name stays inside rtl_dir: a symbolic link
// (the file's own or a folder's on its way) leads outside rtl_dir; empty when it resolves inside
// (links within rtl_dir are followed) or does not exist. The message names the link, its target
// and rtl_dir (issue 28).
std::string outside_rtl_dir_problem(const std::filesystem::path& rtl_dir,
                                    const std::string& relative);
// Why a data file cannot be placed at `path` in the build directory (it would replace one of
// the build's own files or src/), or empty.
std::string build_name_problem(const std::string& path);

// LC_ALL, TZ and umask of one environment preset.
struct ToolEnvironment {
    std::map<std::string, std::string> variables;
    std::optional<mode_t> umask = 022; // none: the harness's own
};
ToolEnvironment environment_preset(const std::string& name);

// One RTL file after the variation transforms, named as the build will see it.
struct PreparedSource {
    std::string name; // path inside the build's src/ directory (as relative to rtl_dir)
    std::string text;
};
// One line of sources.txt: a file relative to rtl_dir. A line whose comment is
// "# detlab: keep-order" pins the file: the file_order factor moves only the others (a file of
// `define macros or an `error guard must stay where the design lists it).
struct SourceEntry {
    std::string name;
    long line = 0;
    bool keep_order = false;
};
// The files rtl_dir/sources.txt lists; InputError naming the file, line and entry when it is
// missing or an entry is absolute, leaves rtl_dir or has characters a tool script could misread.
std::vector<SourceEntry> source_list(const std::filesystem::path& rtl_dir);
// The pin file of the configured device.
std::filesystem::path pin_file(const Settings& settings);
// Reads rtl_dir/sources.txt and the files it lists, applies rename/dead logic and the order.
std::vector<PreparedSource> prepare_sources(const Settings& settings);

// ---- The design's other files (design_files.cpp) ----
// An `include that is in none of the folders searched: an error only if yosys reads it (it may
// stand in an `ifdef the configuration leaves out), then named with the including file's line.
struct MissingInclude {
    std::string file; // the including file, relative to rtl_dir
    long line = 0;
    std::string name;     // as written
    std::string searched; // the folders looked in, for the message
};
struct DesignInputs {
    std::vector<std::string> includes; // files the sources `include, relative to rtl_dir
    std::vector<std::string> data;     // data_files, normalised
    std::vector<MissingInclude> missing_includes;
};
// Finds the include files (the including file's folder first, then include_dirs, as yosys
// does) and checks the data files: InputError naming the key and file when a declared folder or
// file is missing or a source's literal $readmemh name is not declared.
DesignInputs design_inputs(const Settings& settings);
// Copies the include files to build_dir/src/<path> (beside the sources, which are at
// src/<path> too) and the data files to build_dir/<path>, where the tools run.
void write_design_files(const Settings& settings, const DesignInputs& inputs,
                        const std::filesystem::path& build_dir);
// A yosys error about an include the scan could not find, as a message naming the including
// file and line; empty when `text` is about something else.
std::string explain_tool_error(const std::string& text, const DesignInputs& inputs,
                               const Settings& settings);

// ---- The ECP5 and Gowin families (issue 27: family; family.cpp, family_ecp5.cpp,
// family_gowin.cpp) ----
struct FamilyDevice {
    std::string name;         // the key's value: "lfe5u-25f", "gw1nr-9"
    std::string nextpnr_flag; // "--25k"; Gowin: the part number nextpnr-gowin's --device takes
    std::string default_package;
    std::vector<std::string> packages;
    std::string chip = {}; // Gowin: the chip database's name (--family, gowin_pack -d): "GW1N-9C"
};
const std::vector<FamilyDevice>& ecp5_devices();
const std::vector<FamilyDevice>& gowin_devices();
const FamilyDevice* family_device(const std::string& device); // ECP5 or Gowin, else nullptr
Family family_of(const std::string& device);
std::string family_name(Family family); // "ice40", "ecp5", "gowin": the run's param `family`
// The files and passes of a family's flow (the iCE40's runs in build.cpp, icetime included).
struct FamilyFlow {
    const char* pins;       // the pin file's name in the build directory
    const char* synth;      // the yosys command that synthesises (followed by -top, -json)
    const char* pack_tool;  // the packer, also its stage's name
    const char* pnr_output; // what nextpnr writes that the packer reads
    const char* bitstream;  // what the packer writes: the run's bitstream artifact
    std::vector<const char*> artifacts; // stored besides the bitstream and netlist.json
};
const FamilyFlow& family_flow(Family family);
// UnavailableError naming the key `tools` when the toolchain lacks the family's tools.
void require_family_tools(const Settings& settings);
// The pin file of an ECP5 or Gowin device: rtl_dir/lpf/<package in lower case>.lpf (ECP5 ball
// names depend on the package only), rtl_dir/cst/<device>.cst (Gowin pin numbers, per part).
std::filesystem::path family_pin_file(const Settings& settings);
std::filesystem::path ecp5_pin_file(const Settings& settings);
std::filesystem::path gowin_pin_file(const Settings& settings);
// nextpnr and packer argv of an ECP5 or Gowin build; `path` gives a build file's name as the
// tools see it.
std::vector<std::string> family_nextpnr_argv(const Settings& settings,
                                             const std::function<std::string(std::string)>& path);
std::vector<std::string> family_pack_argv(const Settings& settings,
                                          const std::function<std::string(std::string)>& path);
std::vector<std::string> ecp5_nextpnr_argv(const Settings& settings,
                                           const std::function<std::string(std::string)>& path);
std::vector<std::string> ecp5_pack_argv(const std::function<std::string(std::string)>& path);
std::vector<std::string> gowin_nextpnr_argv(const Settings& settings,
                                            const std::function<std::string(std::string)>& path);
std::vector<std::string> gowin_pack_argv(const Settings& settings,
                                         const std::function<std::string(std::string)>& path);
// A number as a tool argument (nextpnr's --freq, every family): the shortest text that reads
// back as the same double (to_chars), so argv and the stored provenance stay as they were.
std::string number_text(double value);
// Used / available logic elements in percent from nextpnr's report (ICESTORM_LC, TRELLIS_COMB,
// SLICE).
std::optional<double> logic_utilisation_pct(const std::string& report_json, Family family);

// ---- Toolchain roots (roots.cpp) ----
// The root of `name`: empty for "system"; UnavailableError (key `tools`) when not installed.
std::filesystem::path tools_root(const std::string& name);
// The command that runs argv's tool of `root` (empty: the host's argv unchanged) in bwrap, with
// `build_dir` (when given) bound at its own path and made the working directory.
std::vector<std::string> tool_command(const std::filesystem::path& root,
                                      const std::filesystem::path& build_dir,
                                      std::vector<std::string> argv);
// What a tool of the toolchain prints for argv (stdout then stderr), e.g. its --help;
// `complete` is false when the tool was stopped (time limit, signal) before it finished.
struct ToolOutput {
    std::string text;
    bool complete = false;
};
ToolOutput tool_output(const std::string& tools, std::vector<std::string> argv,
                       std::chrono::milliseconds limit);
// `yosys -V` of the toolchain, probed once per process and toolchain: part of the synthesis key.
std::string yosys_version(const std::string& tools, std::chrono::milliseconds limit);

// ---- Options that differ between tool versions (options.cpp) ----
// The option of each factor value for the toolchain's nextpnr-ice40, checked against its --help
// once per toolchain. InputError naming the key when that version lacks the value's option.
void check_tool_options(const Settings& settings);

// ---- Parsing tool output ----
struct NextpnrReport {
    std::optional<double> fmax_mhz;   // lowest achieved over the clocks
    std::map<std::string, long> used; // cell type -> used count (ICESTORM_LC, SB_IO, ...)
};
NextpnrReport parse_nextpnr_report(const std::string& json_text);
std::optional<double> parse_icetime_mhz(const std::string& output);

// The tool's own error text from its output: the ERROR lines, else the last lines.
std::string tool_error_text(const std::string& out, const std::string& err);

} // namespace detlab::toolchain::detail
