// yosys's JSON netlist after synth_ice40 read into a GateNetlist: SB_LUT4, SB_CARRY, the
// positive-edge SB_DFF* family, SB_GB, $_TBUF_ (a tri-state pin), SB_RAM40_4K in every mode,
// SB_PLL40_* (cells.cpp) and SB_IO/SB_GB_IO in their single-edge pin types.
// Anything else is refused with the cell type named.
#include "harness/equiv/internal.h"

namespace detlab::equiv::detail {
namespace {

// A parameter as yosys writes it: a string of binary digits (x counts as 0), or a number.
std::vector<bool> parameter_bits(const nlohmann::json& value) {
    std::vector<bool> bits; // LSB first
    if (value.is_number_integer()) {
        auto v = value.get<std::uint64_t>();
        for (int i = 0; i < 64; ++i)
            bits.push_back((v >> i) & 1U);
        return bits;
    }
    std::string text = value.get<std::string>();
    for (auto it = text.rbegin(); it != text.rend(); ++it)
        bits.push_back(*it == '1');
    return bits;
}

std::uint64_t parameter_value(const nlohmann::json& cell, const char* name, std::uint64_t dflt) {
    const auto& params = cell.value("parameters", nlohmann::json::object());
    if (!params.contains(name))
        return dflt;
    auto bits = parameter_bits(params[name]);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bits.size() && i < 64; ++i)
        v |= std::uint64_t{bits[i]} << i;
    return v;
}

class Reader {
public:
    explicit Reader(GateNetlist& out) : out_(out) {}

    Net bit(const nlohmann::json& b) {
        if (b.is_number_integer()) {
            std::string name = std::to_string(b.get<long long>());
            name.insert(name.begin(), '$'); // (GCC 12 warns falsely about "$" + string)
            return out_.net(name);
        }
        return b.get<std::string>() == "1" ? kConst1 : kConst0; // "0", "x", "z"
    }
    std::vector<Net> port(const nlohmann::json& cell, const char* name) {
        std::vector<Net> bits;
        const auto& connections = cell.at("connections");
        if (connections.contains(name))
            for (const auto& b : connections[name])
                bits.push_back(bit(b));
        return bits;
    }
    Net one(const nlohmann::json& cell, const char* name, Net dflt) {
        auto bits = port(cell, name);
        return bits.empty() ? dflt : bits[0];
    }
    void node(Net out, std::vector<Net> in, std::uint64_t table, bool is_lut) {
        out_.nodes.push_back({out, std::move(in), table, is_lut});
    }
    void clock(const nlohmann::json& cell, const char* pin) {
        Net c = one(cell, pin, kConst0);
        if (c > kConst1)
            out_.use_clock(out_.names.at(c));
    }
    std::string param_text(const nlohmann::json& cell, const char* name) {
        const auto& params = cell.value("parameters", nlohmann::json::object());
        if (!params.contains(name) || !params[name].is_string())
            return {};
        std::string text = params[name].get<std::string>();
        while (!text.empty() && text.back() == ' ') // yosys marks a string that looks binary
            text.pop_back();
        return text;
    }

    void flip_flop(const std::string& type, const nlohmann::json& cell) {
        // SB_DFF[E][SR|R|SS|S]: E enable; SR/SS synchronous reset/set (gated by E, as the
        // hardware does); R/S asynchronous (sampled at the edge here, see docs/equivalence.md).
        std::string rest = type.substr(6);
        GateNetlist::FlipFlop ff;
        ff.q = one(cell, "Q", kConst0);
        Net d = one(cell, "D", kConst0);
        if (rest.starts_with("E")) {
            ff.enable = one(cell, "E", kConst1);
            rest = rest.substr(1);
        }
        if (rest == "SR" || rest == "SS") { // d' = r ? value : d
            Net r = one(cell, rest == "SR" ? "R" : "S", kConst0);
            Net gated = out_.fresh("sync");
            node(gated, {d, r}, rest == "SR" ? 0b0010 : 0b1110, false);
            d = gated;
        } else if (rest == "R" || rest == "S") {
            ff.reset = one(cell, rest.c_str(), kConst0);
            ff.reset_value = rest == "S";
        } else if (!rest.empty()) {
            throw Unsupported("yosys netlist: cell " + type);
        }
        ff.d = d;
        clock(cell, "C");
        out_.ffs.push_back(ff);
    }

    void ram(const std::string& name, const nlohmann::json& cell) {
        RamPins pins;
        auto raddr = port(cell, "RADDR"), waddr = port(cell, "WADDR");
        auto rdata = port(cell, "RDATA"), wdata = port(cell, "WDATA"), mask = port(cell, "MASK");
        for (std::size_t i = 0; i < 11; ++i) {
            pins.raddr[i] = i < raddr.size() ? raddr[i] : kConst0;
            pins.waddr[i] = i < waddr.size() ? waddr[i] : kConst0;
        }
        for (std::size_t i = 0; i < 16; ++i) {
            pins.rdata[i] = i < rdata.size() ? rdata[i] : out_.fresh("unconnected");
            pins.wdata[i] = i < wdata.size() ? wdata[i] : kConst0;
            pins.mask[i] = i < mask.size() ? mask[i] : kConst0;
        }
        pins.we = one(cell, "WE", kConst0);
        pins.wclke = one(cell, "WCLKE", kConst1);
        pins.re = one(cell, "RE", kConst0);
        pins.rclke = one(cell, "RCLKE", kConst1);
        std::array<std::uint16_t, 256> init{};
        const auto& params = cell.value("parameters", nlohmann::json::object());
        for (int block = 0; block < 16; ++block) {
            std::string init_name = "INIT_" + std::string(1, "0123456789ABCDEF"[block]);
            if (!params.contains(init_name))
                continue;
            auto bits = parameter_bits(params[init_name]);
            for (std::size_t b = 0; b < bits.size() && b < 256; ++b)
                if (bits[b])
                    init[static_cast<std::size_t>(block) * 16 + b / 16] |=
                        static_cast<std::uint16_t>(1U << (b % 16));
        }
        if (!param_text(cell, "INIT_FILE").empty())
            throw Unsupported("yosys netlist: " + name +
                              ": SB_RAM40_4K with INIT_FILE (its "
                              "contents are read at simulation time, not in the netlist)");
        clock(cell, "RCLK");
        clock(cell, "WCLK");
        add_ram(out_, pins, static_cast<int>(parameter_value(cell, "READ_MODE", 0)),
                static_cast<int>(parameter_value(cell, "WRITE_MODE", 0)), init,
                "yosys netlist: " + name);
    }

    // A register of an SB_IO: q <= d at OUTPUT_CLK/INPUT_CLK when CLOCK_ENABLE (unconnected: 1).
    Net io_register(const nlohmann::json& cell, Net d, const char* clock_pin) {
        GateNetlist::FlipFlop ff;
        ff.q = out_.fresh("io_q");
        ff.d = d;
        ff.enable = one(cell, "CLOCK_ENABLE", kConst1);
        clock(cell, clock_pin);
        out_.ffs.push_back(ff);
        return ff.q;
    }

    // SB_IO / SB_GB_IO as cells_sim.v has them, for the pin types with one edge: input plain or
    // registered; output plain, registered or registered inverted, always enabled, enabled by
    // OUTPUT_ENABLE or by its register (a released pin reads 0, as for $_TBUF_). DDR pins, the
    // input latch and NEG_TRIGGER are refused by name.
    void io(const std::string& type, const std::string& name, const nlohmann::json& cell) {
        const std::string what = "yosys netlist: " + type + " " + name;
        auto pin_type = parameter_value(cell, "PIN_TYPE", 0);
        if (parameter_value(cell, "NEG_TRIGGER", 0))
            throw Unsupported(what + ": NEG_TRIGGER (pin registers on the falling edge)");
        Net pad = one(cell, "PACKAGE_PIN", kConst0);
        const bool ddr_output = (pin_type & 0b1100) == 0 && (pin_type & 0b110000) != 0;
        if (one(cell, "D_IN_1", kConst0) > kConst1 || ddr_output)
            throw Unsupported(what + ": a DDR pin (PIN_TYPE " + std::to_string(pin_type) +
                              ", both clock edges)");
        if ((pin_type & 0b10) && one(cell, "LATCH_INPUT_VALUE", kConst0) != kConst0)
            throw Unsupported(what + ": the input latch (LATCH_INPUT_VALUE)");
        Net din = one(cell, "D_IN_0", kConst0);
        if (din > kConst1) {
            if (pin_type & 0b1) {
                node(din, {pad}, 0b10, false);
                if (pad > kConst1) // a clock through the pin's buffer
                    out_.clock_source[out_.names.at(din)] = out_.names.at(pad);
            } else
                node(din, {io_register(cell, pad, "INPUT_CLK")}, 0b10, false);
        }
        if (type == "SB_GB_IO") {
            Net global = one(cell, "GLOBAL_BUFFER_OUTPUT", kConst0);
            if (global > kConst1 && pad > kConst1) {
                node(global, {pad}, 0b10, false);
                out_.clock_source[out_.names.at(global)] = out_.names.at(pad);
            }
        }
        const auto output = (pin_type >> 4) & 0b11, data = (pin_type >> 2) & 0b11;
        if (output == 0 || pad <= kConst1)
            return;
        Net d_out = one(cell, "D_OUT_0", kConst0);
        Net dout = data == 0b10 ? d_out : io_register(cell, d_out, "OUTPUT_CLK");
        if (data == 0b11) { // registered and inverted
            Net inverted = out_.fresh("io_inv");
            node(inverted, {dout}, 0b01, false);
            dout = inverted;
        }
        Net enable = output == 0b01 ? kConst1
                     : output == 0b10
                         ? one(cell, "OUTPUT_ENABLE", kConst0)
                         : io_register(cell, one(cell, "OUTPUT_ENABLE", kConst0), "OUTPUT_CLK");
        node(pad, {dout, enable}, 0b1000, false);
    }

    void cell(const std::string& type, const std::string& name, const nlohmann::json& cell) {
        if (type == "SB_LUT4") {
            node(one(cell, "O", kConst0),
                 {one(cell, "I0", kConst0), one(cell, "I1", kConst0), one(cell, "I2", kConst0),
                  one(cell, "I3", kConst0)},
                 parameter_value(cell, "LUT_INIT", 0) & 0xFFFF, true);
        } else if (type == "SB_CARRY") { // CO = I0 & I1 | (I0 | I1) & CI
            node(one(cell, "CO", kConst0),
                 {one(cell, "I0", kConst0), one(cell, "I1", kConst0), one(cell, "CI", kConst0)},
                 0b11101000, false);
        } else if (type == "SB_GB") {
            Net out = one(cell, "GLOBAL_BUFFER_OUTPUT", kConst0);
            Net in = one(cell, "USER_SIGNAL_TO_GLOBAL_BUFFER", kConst0);
            node(out, {in}, 0b10, false);
            if (out > kConst1 && in > kConst1)
                out_.clock_source[out_.names.at(out)] = out_.names.at(in);
        } else if (type == "$_TBUF_") { // Y = E ? A : z, with z read as 0 (see gates_icebox)
            node(one(cell, "Y", kConst0), {one(cell, "A", kConst0), one(cell, "E", kConst0)},
                 0b1000, false);
        } else if (type.starts_with("SB_DFF") && !type.starts_with("SB_DFFN")) {
            flip_flop(type, cell);
        } else if (type == "SB_RAM40_4K") {
            ram(name, cell);
        } else if (auto reason = negative_edge_ram(type); !reason.empty()) {
            throw Unsupported("yosys netlist: " + name + ": " + reason);
        } else if (type == "SB_IO" || type == "SB_GB_IO") {
            io(type, name, cell);
        } else if (type.starts_with("SB_PLL40_")) {
            add_pll(
                out_, "yosys netlist: " + type + " " + name,
                [&](const char* pin) { return one(cell, pin, kConst0); },
                [&](const char* param) { return param_text(cell, param); });
        } else if (type == "SB_MAC16" || type == "SB_SPRAM256KA") {
            throw Unsupported("yosys netlist: " + type + " " + name + " is not modelled (" +
                              (type == "SB_MAC16"
                                   ? "the DSP block's multiply-accumulate modes and pipeline "
                                     "registers"
                                   : "the 16K x 16 single-port RAM, its power-down and sleep "
                                     "pins") +
                              "); docs/equivalence.md lists what is");
        } else if (type != "$scopeinfo") {
            throw Unsupported("yosys netlist: cell type " + type + " is not modelled");
        }
    }

private:
    GateNetlist& out_;
};

} // namespace

GateNetlist read_yosys_json(const nlohmann::json& json, const std::string& top) {
    const auto& modules = json.at("modules");
    const nlohmann::json* module = nullptr;
    for (const auto& [name, m] : modules.items()) {
        bool is_top = m.value("attributes", nlohmann::json::object()).contains("top");
        // chparam renames a top with parameters to "$paramod\TOP\NAME=VALUE...".
        bool is_paramod = name.starts_with("$paramod\\" + top + "\\");
        if (name == top || (top.empty() && is_top) || (!top.empty() && is_top && is_paramod))
            module = &m;
    }
    if (!module)
        throw Unsupported("yosys netlist: no module " + (top.empty() ? "marked top" : top));
    GateNetlist out;
    Reader reader(out);
    for (const auto& [name, port] : module->at("ports").items()) {
        const auto& bits = port.at("bits");
        for (std::size_t i = 0; i < bits.size(); ++i) {
            std::string bit_name = bits.size() == 1 ? name : name + "[" + std::to_string(i) + "]";
            Net net = reader.bit(bits[i]);
            std::string direction = port.at("direction").get<std::string>();
            if (direction == "input")
                out.inputs.emplace_back(bit_name, net);
            else if (direction == "output")
                out.outputs.emplace_back(bit_name, net);
            else
                throw Unsupported("yosys netlist: inout port " + name);
            if (net > kConst1)
                out.names[net] = bit_name;
        }
    }
    for (const auto& [name, cell] : module->at("cells").items())
        reader.cell(cell.at("type").get<std::string>(), name, cell);
    out.resolve_clock("yosys netlist");
    return out;
}

} // namespace detlab::equiv::detail
