// iCE40 hard cells both netlists meet, built as logic the native simulator runs: the block
// RAM's four modes around its physical 256 x 16 array, PLL outputs as clocks, and the clock
// resolution through PLLs and global buffers. The RAM's mode logic follows yosys's own cell
// model (/usr/share/yosys/ice40/cells_sim.v, SB_RAM40_4K) bit for bit; test_equiv_cells
// checks it against that model under iverilog.
#include "harness/equiv/internal.h"

#include <algorithm>

namespace detlab::equiv::detail {
namespace {

void add_node(GateNetlist& netlist, Net out, std::vector<Net> in, std::uint64_t table) {
    if (out <= kConst1)
        return; // an output tied to a constant in the instance: nothing to drive
    netlist.nodes.push_back({out, std::move(in), table, false});
}

// The mask bit `bit` of a mode with 2^mode-bit groups: cells_sim.v's patterns (mode 1:
// 1010..., 0101...; mode 2: 1110..., ...; mode 3: 1111_1110..., ...) write, or read, exactly
// the bits whose position in their group equals the high address bits' value.
Net mode_mask(GateNetlist& netlist, const std::array<Net, 11>& addr, int mode, int bit,
              const std::string& hint) {
    const int group = 1 << mode;
    std::vector<Net> in;
    for (int i = 0; i < mode; ++i)
        in.push_back(addr[static_cast<std::size_t>(8 + i)]);
    std::uint64_t table = 0;
    for (int value = 0; value < group; ++value)
        if (value != bit % group)
            table |= std::uint64_t{1} << value;
    Net out = netlist.fresh(hint);
    add_node(netlist, out, std::move(in), table);
    return out;
}

// OR of up to 8 nets (a node takes at most 6 inputs: two 4-input ORs and their OR).
void add_or(GateNetlist& netlist, Net out, const std::vector<Net>& in) {
    auto or_table = [](std::size_t inputs) {
        return ((std::uint64_t{1} << (std::size_t{1} << inputs)) - 1) & ~std::uint64_t{1};
    };
    if (in.size() <= 4) {
        add_node(netlist, out, in, or_table(in.size()));
        return;
    }
    Net low = netlist.fresh("ram_or"), high = netlist.fresh("ram_or");
    add_node(netlist, low, {in.begin(), in.begin() + 4}, or_table(4));
    add_node(netlist, high, {in.begin() + 4, in.end()}, or_table(in.size() - 4));
    add_node(netlist, out, {low, high}, or_table(2));
}

} // namespace

void GateNetlist::use_clock(const std::string& name) {
    if (std::find(clock_uses.begin(), clock_uses.end(), name) == clock_uses.end())
        clock_uses.push_back(name);
}

void GateNetlist::resolve_clock(const std::string& what) {
    std::vector<std::string> roots;
    for (std::string name : clock_uses) {
        for (int hop = 0; hop < 8 && clock_source.count(name); ++hop)
            name = clock_source.at(name);
        if (std::find(roots.begin(), roots.end(), name) == roots.end())
            roots.push_back(name);
    }
    if (roots.size() > 1)
        throw Unsupported(what + ": flip-flops on two clocks (" + roots[0] + ", " + roots[1] + ")");
    if (!roots.empty())
        clock = roots[0];
}

void add_ram(GateNetlist& netlist, const RamPins& pins, int read_mode, int write_mode,
             const std::array<std::uint16_t, 256>& init, const std::string& cell) {
    if (read_mode < 0 || read_mode > 3 || write_mode < 0 || write_mode > 3)
        throw Unsupported(cell + ": SB_RAM40_4K READ_MODE " + std::to_string(read_mode) +
                          " / WRITE_MODE " + std::to_string(write_mode) + " (modes are 0..3)");
    GateNetlist::Ram ram;
    for (std::size_t i = 0; i < 8; ++i) {
        ram.raddr[i] = pins.raddr[i];
        ram.waddr[i] = pins.waddr[i];
    }
    ram.we = pins.we;
    ram.wclke = pins.wclke;
    ram.re = pins.re;
    ram.rclke = pins.rclke;
    ram.init = init;
    // Write side: mode 0 takes WDATA and MASK as they are; mode m writes WDATA's bit
    // (group/2 - 1) of each group of 2^m into every bit of the group, masked by the address.
    const int write_group = 1 << write_mode;
    for (int b = 0; b < 16; ++b) {
        auto i = static_cast<std::size_t>(b);
        if (write_mode == 0) {
            ram.wdata[i] = pins.wdata[i];
            ram.mask[i] = pins.mask[i];
        } else {
            ram.wdata[i] = pins.wdata[static_cast<std::size_t>((b & ~(write_group - 1)) +
                                                               write_group / 2 - 1)];
            ram.mask[i] = mode_mask(netlist, pins.waddr, write_mode, b, "ram_wmask");
        }
    }
    // Read side: mode 0 is the word; mode m keeps one bit of each group (by the address at the
    // read edge) and puts the OR of the group on its bit (group/2 - 1); the other pins read 0.
    const int read_group = 1 << read_mode;
    for (int b = 0; b < 16; ++b) {
        auto i = static_cast<std::size_t>(b);
        if (read_mode == 0) {
            ram.rdata[i] = pins.rdata[i];
            ram.rmask[i] = kConst0;
        } else {
            ram.rdata[i] = netlist.fresh("ram_q");
            ram.rmask[i] = mode_mask(netlist, pins.raddr, read_mode, b, "ram_rmask");
        }
    }
    if (read_mode != 0)
        for (int group = 0; group < 16 / read_group; ++group) {
            std::vector<Net> bits;
            for (int k = 0; k < read_group; ++k)
                bits.push_back(ram.rdata[static_cast<std::size_t>(group * read_group + k)]);
            for (int k = 0; k < read_group; ++k) {
                Net pin = pins.rdata[static_cast<std::size_t>(group * read_group + k)];
                if (k == read_group / 2 - 1)
                    add_or(netlist, pin, bits);
                else
                    add_node(netlist, pin, {}, 0);
            }
        }
    netlist.rams.push_back(ram);
}

std::vector<bool> constant_nets(const GateNetlist& netlist) {
    std::vector<bool> constant(netlist.names.size(), false);
    constant[kConst0] = constant[kConst1] = true;
    // Until nothing changes: a node's inputs may be defined after it (icebox_vlog writes the
    // RAMs before the LUTs that drive them).
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& node : netlist.nodes) {
            if (constant[node.out])
                continue;
            bool all =
                std::all_of(node.in.begin(), node.in.end(), [&](Net in) { return constant[in]; });
            if (all) {
                constant[node.out] = true;
                changed = true;
            }
        }
    }
    return constant;
}

std::string negative_edge_ram(const std::string& type) {
    if (type != "SB_RAM40_4KNR" && type != "SB_RAM40_4KNW" && type != "SB_RAM40_4KNRNW")
        return {};
    return type +
           " (a block RAM clocked on the falling edge: the native simulator steps rising edges "
           "only, so its half-cycle timing is not modelled)";
}

void add_pll(GateNetlist& netlist, const std::string& cell,
             const std::function<Net(const char*)>& port,
             const std::function<std::string(const char*)>& param) {
    Net reference = port("REFERENCECLK");
    if (reference == kConst0)
        reference = port("PACKAGEPIN");
    if (reference <= kConst1)
        throw Unsupported(cell + ": a PLL without a reference clock");
    const std::pair<const char*, const char*> outputs[] = {
        {"PLLOUTCORE", "PLLOUT_SELECT"},        {"PLLOUTGLOBAL", "PLLOUT_SELECT"},
        {"PLLOUTCOREA", "PLLOUT_SELECT_PORTA"}, {"PLLOUTGLOBALA", "PLLOUT_SELECT_PORTA"},
        {"PLLOUTCOREB", "PLLOUT_SELECT_PORTB"}, {"PLLOUTGLOBALB", "PLLOUT_SELECT_PORTB"}};
    for (const auto& [pin, select_param] : outputs) {
        Net output = port(pin);
        if (output <= kConst1)
            continue;
        std::string select = param(select_param);
        if (!select.empty() && select != "GENCLK")
            throw Unsupported(cell + ": PLL output " + pin + " with " + select_param + " " +
                              select +
                              " (a clock at another rate or phase than the PLL's own; only "
                              "GENCLK, driven as the design clock, is modelled)");
        netlist.clock_source[netlist.names.at(output)] = netlist.names.at(reference);
        add_node(netlist, output, {reference}, 0b10);
    }
    add_node(netlist, port("LOCK"), {}, 1); // locked from the first cycle
    add_node(netlist, port("SDO"), {}, 0);
}

} // namespace detlab::equiv::detail
