// yosys's JSON netlist after synth_ice40 read into a GateNetlist: SB_LUT4, SB_CARRY, the
// positive-edge SB_DFF* family, SB_GB, $_TBUF_ (a tri-state pin) and SB_RAM40_4K in 256 x 16 mode.
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
    void clock(const nlohmann::json& cell) {
        Net c = one(cell, "C", kConst0);
        if (c == kConst0)
            c = one(cell, "RCLK", kConst0);
        const std::string& name = out_.names.at(c);
        if (out_.clock.empty())
            out_.clock = name;
        else if (out_.clock != name)
            throw Unsupported("yosys netlist: flip-flops on two clocks");
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
        clock(cell);
        out_.ffs.push_back(ff);
    }

    void ram(const nlohmann::json& cell) {
        if (parameter_value(cell, "READ_MODE", 0) != 0 ||
            parameter_value(cell, "WRITE_MODE", 0) != 0)
            throw Unsupported("yosys netlist: SB_RAM40_4K not in 256 x 16 mode");
        GateNetlist::Ram r;
        auto raddr = port(cell, "RADDR"), waddr = port(cell, "WADDR");
        auto rdata = port(cell, "RDATA"), wdata = port(cell, "WDATA"), mask = port(cell, "MASK");
        for (std::size_t i = 0; i < 8; ++i) {
            r.raddr[i] = i < raddr.size() ? raddr[i] : kConst0;
            r.waddr[i] = i < waddr.size() ? waddr[i] : kConst0;
        }
        for (std::size_t i = 0; i < 16; ++i) {
            r.rdata[i] = i < rdata.size() ? rdata[i] : out_.fresh("unconnected");
            r.wdata[i] = i < wdata.size() ? wdata[i] : kConst0;
            r.mask[i] = i < mask.size() ? mask[i] : kConst0;
        }
        r.we = one(cell, "WE", kConst0);
        r.wclke = one(cell, "WCLKE", kConst1);
        r.re = one(cell, "RE", kConst0);
        r.rclke = one(cell, "RCLKE", kConst1);
        const auto& params = cell.value("parameters", nlohmann::json::object());
        for (int block = 0; block < 16; ++block) {
            std::string name = "INIT_" + std::string(1, "0123456789ABCDEF"[block]);
            if (!params.contains(name))
                continue;
            auto bits = parameter_bits(params[name]);
            for (std::size_t b = 0; b < bits.size() && b < 256; ++b)
                if (bits[b])
                    r.init[static_cast<std::size_t>(block) * 16 + b / 16] |=
                        static_cast<std::uint16_t>(1U << (b % 16));
        }
        clock(cell);
        out_.rams.push_back(r);
    }

    void cell(const std::string& type, const nlohmann::json& cell) {
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
            node(one(cell, "GLOBAL_BUFFER_OUTPUT", kConst0),
                 {one(cell, "USER_SIGNAL_TO_GLOBAL_BUFFER", kConst0)}, 0b10, false);
        } else if (type == "$_TBUF_") { // Y = E ? A : z, with z read as 0 (see gates_icebox)
            node(one(cell, "Y", kConst0), {one(cell, "A", kConst0), one(cell, "E", kConst0)},
                 0b1000, false);
        } else if (type.starts_with("SB_DFF") && !type.starts_with("SB_DFFN")) {
            flip_flop(type, cell);
        } else if (type == "SB_RAM40_4K") {
            ram(cell);
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
        reader.cell(cell.at("type").get<std::string>(), cell);
    return out;
}

} // namespace detlab::equiv::detail
