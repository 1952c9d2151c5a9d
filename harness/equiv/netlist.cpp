// A bitstream back to a simulatable netlist: icebox_vlog, the testbench compiled around it with
// iverilog or Verilator, and one simulator run per batch of tile jobs.
#include "harness/equiv/equiv.h"
#include "harness/equiv/internal.h"
#include "harness/invariant/invariant.h"
#include "harness/process/process.h"

#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace detlab::equiv {
namespace fs = std::filesystem;
namespace {

// Tools are slow on a loaded machine, never endless: a hung simulation is an error, not a wait.
constexpr std::chrono::hours kToolTimeout{2};

process::Result run_tool(std::vector<std::string> argv, const fs::path& cwd) {
    process::Spec spec;
    spec.argv = std::move(argv);
    spec.cwd = cwd;
    spec.timeout = kToolTimeout;
    spec.set_env = {{"LC_ALL", "C"}};
    spec.output_limit = 0; // icebox_vlog's stdout is the netlist read back: kept whole
    auto result = process::run(spec);
    if (!result.ok()) {
        std::string text = result.error.empty() ? result.err + result.out : result.error;
        if (text.size() > 4000)
            text = text.substr(text.size() - 4000);
        throw std::runtime_error(spec.argv[0] + " failed (" + result.describe() + "): " + text);
    }
    return result;
}

// Yosys's simulation models of the iCE40 cells; the netlist instantiates SB_RAM40_4K from them.
// They live in <prefix>/share/yosys next to the yosys executable (yosys-config is in -dev).
const fs::path& cells_sim() {
    static std::once_flag once;
    static fs::path path;
    std::call_once(once, [] {
        fs::path yosys = process::find_executable("yosys");
        if (yosys.empty())
            throw std::runtime_error("yosys not found on PATH (its ice40/cells_sim.v is needed)");
        path = fs::canonical(yosys).parent_path().parent_path() / "share" / "yosys" / "ice40" /
               "cells_sim.v";
    });
    if (!fs::exists(path))
        throw std::runtime_error("missing " + path.string() + " (yosys's iCE40 cell models)");
    return path;
}

// icebox_vlog declares ports in the module header and again as wire/reg: legal for iverilog,
// an error for Verilator. A non-ANSI header ("module chip (clk, ...); input clk; ...") makes
// the later wire/reg declarations legal redeclarations of the same ports.
std::string non_ansi_header(const std::string& verilog) {
    static const std::regex header(R"(module\s+(\w+)\s*\(([^;]*)\);)");
    std::smatch match;
    if (!std::regex_search(verilog, match, header))
        throw std::runtime_error("icebox_vlog output has no module header");
    std::string names, declarations;
    std::stringstream ports(match[2].str());
    for (std::string port; std::getline(ports, port, ',');) {
        std::stringstream words(port);
        std::string direction, name;
        words >> direction >> name;
        names += (names.empty() ? "" : ", ") + name;
        declarations += direction + " " + name + ";\n";
    }
    return verilog.substr(0, static_cast<std::size_t>(match.position(0))) + "module " +
           match[1].str() + " (" + names + ");\n" + declarations +
           verilog.substr(static_cast<std::size_t>(match.position(0) + match.length(0)));
}

std::string script_text(const accel::ArrayConfig& config, const std::vector<TileJob>& jobs,
                        accel::serial::Script& script) {
    for (const auto& job : jobs)
        script.tile_job(config, job.k, job.a.data(), job.b.data());
    return script.text();
}

} // namespace

namespace detail {

TileOutput decode_tile(const accel::ArrayConfig& config, accel::serial::Frame response) {
    TileOutput out;
    const std::uint8_t good = static_cast<std::uint8_t>(accel::serial::status_done | config.size);
    // A wrong bitstream may answer with a bad status; its values still count (as mismatches).
    out.status_ok = !response.empty() && response[0] == good;
    if (!response.empty())
        response[0] = good;
    out.c = accel::serial::decode_read_c(config, response);
    return out;
}

std::string make_icebox_verilog(std::string_view asc_text, const fs::path& pcf,
                                const fs::path& dir) {
    write_file(dir / "bitstream.asc", asc_text);
    // -s: no comments (a tenth of the size); -p: ports named as in the pcf, so the testbench's
    // port names (clk, spi_*) bind.
    auto result =
        run_tool({"icebox_vlog", "-s", "-p", fs::absolute(pcf).string(), "bitstream.asc"}, dir);
    return std::move(result.out);
}

} // namespace detail

Board board_from_config(const nlohmann::json& config) {
    Board board;
    // Another design's configuration has no array (the key applies to the accelerator only).
    board.array.size = config.value("array", board.array.size);
    board.device = config.at("device").get<std::string>();
    std::string rtl_dir = config.value("rtl_dir", std::string());
    fs::path rtl = rtl_dir.empty() ? source_root() / "rtl" : fs::path(rtl_dir);
    board.pcf = rtl / "pcf" / (board.device + ".pcf");
    return board;
}

Simulator parse_simulator(std::string_view name) {
    if (name == "auto" || name == "automatic")
        return Simulator::automatic;
    if (name == "native")
        return Simulator::native;
    if (name == "iverilog")
        return Simulator::iverilog;
    if (name == "verilator")
        return Simulator::verilator;
    throw InputError(input_error_message("argument", 0, "simulator",
                                         "unknown simulator \"" + std::string(name) +
                                             "\" (valid: auto, native, iverilog, verilator)"));
}

std::string simulator_name(Simulator simulator) {
    switch (simulator) {
    case Simulator::native:
        return "native";
    case Simulator::iverilog:
        return "iverilog";
    case Simulator::verilator:
        return "verilator";
    default:
        return "auto";
    }
}

Simulator choose_simulator(Simulator requested, std::uint64_t, int) {
    // The native simulator needs no compile and runs 64 vectors per pass: measured with
    // `detlab bench equiv` (docs/equivalence.md) it beats both testbench simulators at every
    // vector count, so `automatic` is native.
    return requested == Simulator::automatic ? Simulator::native : requested;
}

std::uint64_t script_cycles(const accel::ArrayConfig& config, const std::vector<TileJob>& jobs) {
    constexpr std::uint64_t half = 4;             // serial_tb's default +half
    constexpr std::uint64_t per_byte = 16 * half; // 8 bits, sck low and high
    constexpr std::uint64_t per_frame = 3 * half; // end_frame
    std::uint64_t cycles = 32;                    // power-on reset
    auto n = static_cast<std::uint64_t>(config.size);
    auto result_bytes = static_cast<std::uint64_t>(accel::serial::result_bytes(config));
    for (const auto& job : jobs) {
        auto k = static_cast<std::uint64_t>(job.k);
        std::uint64_t bytes = 2 * (1 + k * n) + 2 + 1 + n * n * result_bytes;
        cycles += bytes * per_byte + 4 * per_frame +
                  static_cast<std::uint64_t>(accel::serial::run_wait_cycles(config, job.k));
    }
    return cycles;
}

NetlistSim::NetlistSim(std::string_view asc_text, const Board& board, Simulator simulator,
                       const fs::path& work_dir,
                       const std::function<std::string(const std::string&)>& netlist_edit)
    : board_(board), simulator_(simulator), dir_(work_dir) {
    DETLAB_ASSERT(simulator_ == Simulator::iverilog || simulator_ == Simulator::verilator,
                  "NetlistSim runs iverilog or Verilator");
    fs::create_directories(dir_);
    make_netlist(asc_text, netlist_edit);
    compile();
}

void NetlistSim::make_netlist(std::string_view asc_text,
                              const std::function<std::string(const std::string&)>& netlist_edit) {
    double start = monotonic_seconds();
    std::string verilog = detail::make_icebox_verilog(asc_text, board_.pcf, dir_);
    if (netlist_edit)
        verilog = netlist_edit(verilog);
    if (simulator_ == Simulator::verilator)
        verilog = non_ansi_header(verilog);
    netlist_ = dir_ / "chip.v";
    write_file(netlist_, verilog);
    timing_.netlist_s += monotonic_seconds() - start;
}

void NetlistSim::compile() {
    double start = monotonic_seconds();
    std::string tb = (source_root() / "rtl" / "tb" / "serial_tb.v").string();
    // Without this define yosys's models use default port values, which iverilog rejects.
    const std::string defines = "-DNO_ICE40_DEFAULT_ASSIGNMENTS";
    if (simulator_ == Simulator::iverilog) {
        executable_ = dir_ / "serial_tb.vvp";
        run_tool({"iverilog", defines, "-DDUT=chip", "-o", executable_.string(), tb,
                  netlist_.string(), cells_sim().string()},
                 dir_);
    } else {
        std::string make_flags = "-j1";
        if (!process::find_executable("ccache").empty())
            make_flags += " OBJCACHE=ccache"; // Verilator's runtime library compiles once
        run_tool({"verilator",
                  "--binary",
                  "--timing",
                  "-Wno-fatal",
                  "-Wno-lint",
                  "-Wno-style",
                  defines,
                  "-DDUT=chip",
                  "--top-module",
                  "serial_tb",
                  "--output-split",
                  "20000",
                  "--output-split-cfuncs",
                  "100",
                  "-Mdir",
                  (dir_ / "obj").string(),
                  "-MAKEFLAGS",
                  make_flags,
                  tb,
                  netlist_.string(),
                  cells_sim().string()},
                 dir_);
        executable_ = dir_ / "obj" / "Vserial_tb";
    }
    timing_.compile_s += monotonic_seconds() - start;
}

std::vector<TileOutput> NetlistSim::run(const std::vector<TileJob>& jobs) {
    if (jobs.empty())
        return {};
    double start = monotonic_seconds();
    accel::serial::Script script;
    write_file(dir_ / "job.hex", script_text(board_.array, jobs, script));
    fs::remove(dir_ / "miso.hex");
    std::vector<std::string> argv;
    if (simulator_ == Simulator::iverilog)
        argv = {"vvp", "-n", executable_.string()};
    else
        argv = {executable_.string()};
    argv.push_back("+script=job.hex");
    argv.push_back("+out=miso.hex");
    run_tool(argv, dir_);
    auto miso = accel::serial::parse_miso_text(read_file_text(dir_ / "miso.hex"));
    auto responses = accel::serial::split_responses(script, miso);
    std::vector<TileOutput> outputs;
    for (std::size_t f = 0; f < responses.size(); ++f)
        if (script.frames()[f][0] == accel::serial::op_read_c)
            outputs.push_back(detail::decode_tile(board_.array, std::move(responses[f])));
    timing_.simulate_s += monotonic_seconds() - start;
    timing_.cycles += script_cycles(board_.array, jobs);
    timing_.runs += 1;
    timing_.jobs += jobs.size();
    return outputs;
}

} // namespace detlab::equiv
