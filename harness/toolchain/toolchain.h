// FPGA builds of the accelerator's board top: prepare sources -> yosys synth_ice40 ->
// nextpnr-ice40 -> icepack -> icetime, under one controlled source of variation.
#pragma once

#include "db/store.h"
#include "harness/config_keys/config_keys.h"
#include "harness/observation/observation.h"
#include "harness/util/util.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace detlab::toolchain {

// The accelerator's top module (rtl/detlab_top.v), the default design.
inline constexpr const char* kAcceleratorTop = "detlab_top";

// Every configuration key of a build (array size, device, seed, threads, ...), with defaults
// that form the deterministic baseline (HeAP placer, router1, one thread, fixed seed).
const std::vector<KeySpec>& config_keys();

// The checks the key ranges alone cannot make (a build_path that is absolute or leaves the
// build directory); InputError naming the key. The CLI and experiment files share them. Pure:
// runs no tool (what a tool version offers is check_design's), and neither does
// configuration_id.
void validate_config(const nlohmann::json& config);

// The check before a build or sweep starts (detlab synth, detlab run): every input exists and
// a quick yosys parse of the sources in their listed order finds the top module and every
// parameter the configuration sets, and the toolchain's nextpnr offers every option and
// factor value the configuration uses. InputError naming sources.txt and the key (top,
// parameters, array or rtl_dir, or the factor: placer, router, device, parallel_refine) with
// the tool's own error line. Runs yosys once per design and nextpnr --help once per toolchain:
// with the build, the only place the toolchain's configuration functions run a tool.
void check_design(const nlohmann::json& config);

// What a build's output depends on besides its keys: the bytes of sources.txt, of every file it
// lists and of the device's pin file. InputError (naming the file) when one is missing.
db::InputDigests input_digests(const nlohmann::json& config);
// The build's configuration identity (db::configuration_id): every key but rtl_dir, whose
// location does not reach the tools (the sources are copied into the build), plus the digests.
// So one design built from two checkouts, or on two machines, is one configuration.
std::string configuration_id(const nlohmann::json& config);

// Runs every stage for one build. Tool failures and timeouts are reported in the result's
// status and message (the tool's own text); it throws only for bad configuration (InputError).
// The result is not yet stored: the caller records it with Store::record_run.
db::RunResult run_build(const nlohmann::json& config, int repeat,
                        const observation::Context& context);

// issue 27: family. The FPGA family of a device name: "ice40", "ecp5" (lfe5u-25f, ...) or
// "gowin" (gw1nr-9, gw1n-1).
std::string device_family(const std::string& device);

// ---- Toolchain roots (the `tools` key; scripts/setup-toolchain NAME installs one) ----
// Where roots live: $DETLAB_TOOLCHAINS, else /var/lib/detlab/toolchains; a root is NAME/ there
// with the marker file scripts/setup-toolchain writes last.
std::filesystem::path toolchains_dir();
// Names of the complete roots, sorted ("system", the host's tools, is not among them).
std::vector<std::string> installed_toolchains();
// The versions of yosys, nextpnr-ice40 and icestorm of one toolchain ("system" or a root's
// name), each probe bounded by `limit` (and 20 s), probed once per process and toolchain; also
// "tools.root". UnavailableError naming the key `tools` for a root that is not installed.
std::map<std::string, std::string>
tool_provenance(const std::string& tools,
                std::chrono::milliseconds limit = std::chrono::seconds(20));
// The key a build of `config` caches its synthesis netlist under (yosys version, script,
// source bytes after the RTL edits), computed before the build: builds with one key share one
// synthesis. Empty when the build cannot share (reuse_synthesis false, or path_style absolute,
// whose script names the run's own directory). InputError for a bad configuration or RTL.
// Probes `yosys -V` of the configuration's toolchain once per process: the sweep calls it after
// its preflight. The second form takes the version instead and runs nothing.
std::string synthesis_key(const nlohmann::json& config);
std::string synthesis_key(const nlohmann::json& config, const std::string& yosys_version);
// Whether `store` holds the netlist of synthesis `key`, so a build of it would reuse it.
bool synthesis_stored(const db::Store& store, const std::string& key);

// ---- What a nextpnr version offers (read from its --help before a build) ----
struct NextpnrHelp {
    // Option name ("--placer") -> its description, continuation lines joined.
    std::map<std::string, std::string> options;
    std::vector<std::string> placers, routers; // empty: the help does not list them
};
// Parses nextpnr's help text (boost::program_options layout). Any text is accepted: a help cut
// mid-line, blank, or garbage gives fewer options, never an exception.
NextpnrHelp parse_nextpnr_help(const std::string& help);

// ---- Non-functional RTL edits (the rtl_rename and rtl_dead_logic factors) ----
// Renames every reg/wire/integer/genvar that is not a port, in every module of `verilog`, to
// "n<6 hex of its SHA-256>_<name>". Comments, strings, numbers and ".port(" names are untouched.
std::string rename_internal_signals(std::string_view verilog);
// Inserts an 8-bit free-running counter on `clk` that drives nothing before the endmodule of
// module `top`; with `kept` it carries (* keep *) so synthesis cannot delete it. Empty when
// `verilog` has no module `top`.
std::optional<std::string> add_dead_logic(std::string_view verilog, std::string_view top,
                                          bool kept);

// bwrap's argv prefix that shows a tool root as the whole file system: the root's top-level
// symlinks (/bin -> usr/bin on a merged-/usr Debian) and system directories, plus /dev, /proc and
// an empty /tmp; nothing of the host's. Callers add their own binds and the command.
std::vector<std::string> root_sandbox(const std::filesystem::path& root);

} // namespace detlab::toolchain
