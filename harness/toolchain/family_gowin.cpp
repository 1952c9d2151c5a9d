// The Gowin family (issue 27): yosys synth_gowin -> nextpnr-gowin -> gowin_pack (Project Apicula).
// Debian 12 ships neither nextpnr-gowin nor apycula; Debian 13 does (nextpnr-gowin 0.7,
// python3-apycula 0.17), so the flow runs in the trixie root of scripts/setup-toolchain like the
// ECP5's. nextpnr-gowin 0.7 is nextpnr's first Gowin architecture, which has no block RAM bel
// ("no BELs remaining to implement cell type 'DPX9B'"): synthesis maps memories to LUT RAM and
// flip-flops (synth_gowin -nobram), so a design's Gowin netlist differs from what a vendor flow
// would build, and its bitstream has no block RAM frames.
#include "harness/toolchain/internal.h"

namespace detlab::toolchain::detail {
namespace {

const FamilyDevice& gowin_device(const Settings& s) {
    const auto& list = gowin_devices();
    return *std::find_if(list.begin(), list.end(),
                         [&](const FamilyDevice& d) { return d.name == s.device; });
}

} // namespace

const std::vector<FamilyDevice>& gowin_devices() {
    // The parts of two common boards, named by die as the key's other values are: the Sipeed Tang
    // Nano (GW1N-1, QN48) and Tang Nano 9K (GW1NR-9: the GW1N-9C die with PSRAM, QN88). A part
    // number fixes the package, so each device has one. nextpnr-gowin takes the part number
    // (--device) and the chip database's name (--family); gowin_pack takes the latter.
    static const std::vector<FamilyDevice> list{
        {"gw1n-1", "GW1N-LV1QN48C6/I5", "QN48", {"QN48"}, "GW1N-1"},
        {"gw1nr-9", "GW1NR-LV9QN88PC6/I5", "QN88", {"QN88"}, "GW1N-9C"},
    };
    return list;
}

std::filesystem::path gowin_pin_file(const Settings& s) {
    // Gowin pins are package pin numbers, which differ between parts: one file per device.
    return s.rtl_dir / "cst" / (s.device + ".cst");
}

std::vector<std::string> gowin_nextpnr_argv(const Settings& s,
                                            const std::function<std::string(std::string)>& path) {
    const auto& device = gowin_device(s);
    std::vector<std::string> argv{"nextpnr-gowin",
                                  "--device",
                                  device.nextpnr_flag,
                                  "--family",
                                  device.chip,
                                  "--cst",
                                  path("pins.cst"),
                                  "--freq",
                                  number_text(s.freq_mhz),
                                  "--seed",
                                  std::to_string(s.seed),
                                  "--threads",
                                  std::to_string(s.threads)};
    if (s.parallel_refine)
        argv.push_back("--parallel-refine");
    argv.insert(argv.end(), {"--placer", s.placer, "--router", s.router});
    // Ports the .cst leaves out are placed by nextpnr-gowin itself (it has no option for it).
    argv.insert(argv.end(), {"--timing-allow-fail", "--json", path("netlist.json"), "--write",
                             path("routed.json"), "--report", path("nextpnr-report.json")});
    return argv;
}

std::vector<std::string> gowin_pack_argv(const Settings& s,
                                         const std::function<std::string(std::string)>& path) {
    // Uncompressed (no -c): the bit distance reads every frame as written (bits_gowin.cpp).
    return {"gowin_pack",       "-d", gowin_device(s).chip, "-o", path("bitstream.fs"),
            path("routed.json")};
}

} // namespace detlab::toolchain::detail
