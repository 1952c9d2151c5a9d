// The Lattice ECP5 family (issue 27): yosys synth_ecp5 -> nextpnr-ecp5 -> ecppack. Debian 12
// ships neither nextpnr-ecp5 nor Project Trellis; Debian 13 does, so the flow runs in the trixie
// root of scripts/setup-toolchain (`tools = "trixie"`), and a toolchain without it is refused
// before anything runs, naming the key and the command that installs it.
#include "harness/toolchain/internal.h"

#include <charconv>

namespace detlab::toolchain::detail {
namespace {

// Packages with pins in Project Trellis's database (ECP5/<die>/iodb.json of Debian 13's
// fpga-trellis-database); nextpnr-ecp5 names them in capitals. The default package is the ULX3S
// board's (every density there comes in CABGA381).
const std::vector<std::string> kSmallDiePackages{"CABGA256", "CABGA381", "CSFBGA285"};
const std::vector<std::string> k45DiePackages{"CABGA256", "CABGA381", "CABGA554", "CSFBGA285"};
const std::vector<std::string> kLargeDiePackages{"CABGA381", "CABGA554", "CABGA756", "CSFBGA285"};

} // namespace

std::string number_text(double value) {
    char text[32];
    auto end = std::to_chars(text, text + sizeof text, value).ptr;
    return std::string(text, end);
}

const std::vector<FamilyDevice>& ecp5_devices() {
    static const std::vector<FamilyDevice> list{
        {"lfe5u-12f", "--12k", "CABGA381", kSmallDiePackages},
        {"lfe5u-25f", "--25k", "CABGA381", kSmallDiePackages},
        {"lfe5u-45f", "--45k", "CABGA381", k45DiePackages},
        {"lfe5u-85f", "--85k", "CABGA381", kLargeDiePackages},
        {"lfe5um-25f", "--um-25k", "CABGA381", kSmallDiePackages},
        {"lfe5um-45f", "--um-45k", "CABGA381", k45DiePackages},
        {"lfe5um-85f", "--um-85k", "CABGA381", kLargeDiePackages},
        {"lfe5um5g-25f", "--um5g-25k", "CABGA381", kSmallDiePackages},
        {"lfe5um5g-45f", "--um5g-45k", "CABGA381", k45DiePackages},
        {"lfe5um5g-85f", "--um5g-85k", "CABGA381", kLargeDiePackages},
    };
    return list;
}

std::filesystem::path ecp5_pin_file(const Settings& s) {
    std::string package = s.package;
    std::transform(package.begin(), package.end(), package.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s.rtl_dir / "lpf" / (package + ".lpf");
}

std::vector<std::string> ecp5_nextpnr_argv(const Settings& s,
                                           const std::function<std::string(std::string)>& path) {
    auto device = std::find_if(ecp5_devices().begin(), ecp5_devices().end(),
                               [&](const FamilyDevice& d) { return d.name == s.device; });
    std::vector<std::string> argv{
        "nextpnr-ecp5", device->nextpnr_flag,   "--package", s.package,
        "--lpf",        path("pins.lpf"),       "--freq",    number_text(s.freq_mhz),
        "--seed",       std::to_string(s.seed), "--threads", std::to_string(s.threads)};
    if (s.parallel_refine)
        argv.push_back("--parallel-refine");
    argv.insert(argv.end(), {"--placer", s.placer, "--router", s.router});
    // Unconstrained ports (a design's lpf may pin only some) are placed by nextpnr.
    argv.insert(argv.end(), {"--timing-allow-fail", "--lpf-allow-unconstrained", "--json",
                             path("netlist.json"), "--textcfg", path("bitstream.config"), "--write",
                             path("routed.json"), "--report", path("nextpnr-report.json")});
    return argv;
}

std::vector<std::string> ecp5_pack_argv(const std::function<std::string(std::string)>& path) {
    return {"ecppack", "--input", path("bitstream.config"), "--bit", path("bitstream.bit")};
}

} // namespace detlab::toolchain::detail
