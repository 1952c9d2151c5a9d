// icebox_vlog's Verilog (with -s) read into a GateNetlist. It writes a small, regular subset:
// `assign n = /* LUT x y i */ <?: expression>;`, carries as `(a & b) | ((a | b) & c)`,
// flip-flops as `always @(posedge clk) if (en) q <= sr ? 1'bV : d;` (or the asynchronous
// `always @(posedge clk, posedge sr) if (sr) q <= 1'bV; else if (en) q <= d;`), SB_RAM40_4K
// instances in every mode and SB_PLL40_* (cells.cpp). Anything else is refused with the
// construct named.
#include "harness/equiv/icebox_reader.h"

#include <algorithm>
#include <map>

namespace detlab::equiv::detail {
namespace {

using icebox::Token;

// The statements of icebox_vlog's module, each turned into ports, nodes, flip-flops and cells.
class Parser : icebox::Reader {
public:
    explicit Parser(std::string_view text) : Reader(text) {}

    GateNetlist parse() {
        while (peek_.kind != Token::end) {
            if (peek_.kind == Token::comment) { // "/* FF x y i */" and the like
                advance();
                continue;
            }
            std::string word = take_name();
            if (word == "module")
                module_header();
            else if (word == "wire" || word == "reg")
                skip_to(";");
            else if (word == "assign")
                assign();
            else if (word == "always")
                always();
            else if (word.starts_with("SB_RAM40_4K"))
                ram(word);
            else if (word.starts_with("SB_PLL40_"))
                pll(word);
            else if (word == "endmodule")
                break;
            else
                throw Unsupported("icebox netlist: unsupported statement \"" + word + "\"");
        }
        ram_clock_uses();
        out_.resolve_clock("icebox netlist");
        return std::move(out_);
    }

private:
    void module_header() {
        take_name();
        expect("(");
        while (!at(")")) {
            std::string direction = take_name();
            std::string port = take_name();
            if (direction == "input")
                out_.inputs.emplace_back(port, out_.net(port));
            else if (direction == "output")
                out_.outputs.emplace_back(port, out_.net(port));
            else
                throw Unsupported("icebox netlist: " + direction + " port " + port);
            if (at(","))
                advance();
        }
        expect(")");
        expect(";");
    }

    void assign() {
        Net target = out_.net(take_name());
        expect("=");
        bool is_lut = peek_.kind == Token::comment && peek_.text.find("LUT") != std::string::npos;
        skip_comments();
        expression_net(target, is_lut);
        expect(";");
    }

    void always() {
        expect("@");
        expect("(");
        std::string edge = take_name();
        std::string clock = take_name();
        if (edge != "posedge")
            throw Unsupported("icebox netlist: a " + edge +
                              " flip-flop (only posedge is modelled)");
        out_.use_clock(clock);
        bool asynchronous = false;
        if (at(",")) {
            advance();
            take_name(); // posedge
            take_name(); // the set/reset net, named again in the if below
            asynchronous = true;
        }
        expect(")");
        GateNetlist::FlipFlop ff;
        Net condition = kConst1;
        if (peek_.kind == Token::name && peek_.text == "if") {
            advance();
            expect("(");
            condition = expression_net(0, false);
            expect(")");
        }
        ff.q = out_.net(take_name());
        expect("<=");
        Net value = expression_net(0, false);
        expect(";");
        if (asynchronous) { // if (sr) q <= V; else if (en) q <= d;
            if (take_name() != "else" || take_name() != "if")
                throw Unsupported("icebox netlist: asynchronous flip-flop without else-if");
            ff.reset = condition;
            ff.reset_value = value == kConst1;
            expect("(");
            ff.enable = expression_net(0, false);
            expect(")");
            if (out_.net(take_name()) != ff.q)
                throw Unsupported("icebox netlist: asynchronous flip-flop writes two nets");
            expect("<=");
            ff.d = expression_net(0, false);
            expect(";");
        } else { // the synchronous set/reset is part of the d expression
            ff.enable = condition;
            ff.d = value;
        }
        out_.ffs.push_back(ff);
    }

    // A port value: one net, a constant, "-" (unconnected) or a {concatenation}, MSB first.
    std::vector<Net> bus() {
        std::vector<Net> bits;
        auto one = [&] {
            skip_comments();
            if (at("-")) {
                advance();
                bits.push_back(out_.fresh("unconnected"));
            } else {
                bits.push_back(expression_net(0, false));
            }
        };
        if (at("{")) {
            advance();
            while (!at("}")) {
                one();
                if (at(","))
                    advance();
            }
            advance();
        } else {
            one();
        }
        return bits;
    }

    // `TYPE #(.P(value), ...) name (.PORT(bus), ...);` after its type: parameters as text
    // (numbers as written, strings without quotes) and ports as nets, LSB first.
    struct Instance {
        std::string name;
        std::map<std::string, std::string> params;
        std::map<std::string, std::vector<Net>> ports;
    };
    Instance instance() {
        Instance cell;
        expect("#");
        expect("(");
        while (!at(")")) {
            expect(".");
            std::string param = take_name();
            expect("(");
            cell.params[param] = peek_.text;
            advance();
            expect(")");
            if (at(","))
                advance();
        }
        expect(")");
        cell.name = take_name();
        expect("(");
        while (!at(")")) {
            expect(".");
            std::string port = take_name();
            expect("(");
            auto bits = bus();
            std::reverse(bits.begin(), bits.end());
            cell.ports[port] = std::move(bits);
            expect(")");
            if (at(","))
                advance();
        }
        expect(")");
        expect(";");
        return cell;
    }
    static int number_value(const std::string& text) { // 3, 2'b11, 4'h0
        auto tick = text.find('\'');
        if (tick == std::string::npos)
            return std::stoi(text);
        int base = text[tick + 1] == 'b' ? 2 : text[tick + 1] == 'h' ? 16 : 10;
        return std::stoi(text.substr(tick + 2), nullptr, base);
    }

    void ram(const std::string& type) {
        Instance cell = instance();
        if (auto reason = negative_edge_ram(type); !reason.empty())
            throw Unsupported("icebox netlist: " + cell.name + ": " + reason);
        if (type != "SB_RAM40_4K")
            throw Unsupported("icebox netlist: cell type " + type + " is not modelled");
        RamPins pins;
        std::array<std::uint16_t, 256> init{};
        for (const auto& [param, value] : cell.params)
            if (param.starts_with("INIT_") && param.size() == 6) {
                int block = std::stoi(param.substr(5), nullptr, 16);
                auto hex = value.substr(value.find('h') + 1); // 256'h..., 64 digits MSB first
                for (int word = 0; word < 16; ++word)
                    init[static_cast<std::size_t>(block * 16 + word)] = static_cast<std::uint16_t>(
                        std::stoul(hex.substr(hex.size() - 4 * (word + 1), 4), nullptr, 16));
            }
        for (const auto& [port, port_bits] : cell.ports) {
            // A reference, not the binding itself: clang 14 refuses to capture a structured
            // binding.
            const auto& bits = port_bits;
            auto bit = [&](std::size_t i) {
                return i < bits.size() ? bits[i] : kConst0;
            };
            if (port == "RADDR" || port == "WADDR")
                for (std::size_t i = 0; i < 11; ++i)
                    (port == "RADDR" ? pins.raddr : pins.waddr)[i] = bit(i);
            else if (port == "RDATA" || port == "WDATA" || port == "MASK")
                for (std::size_t i = 0; i < 16; ++i)
                    (port == "RDATA"   ? pins.rdata
                     : port == "WDATA" ? pins.wdata
                                       : pins.mask)[i] = bit(i);
            else if (port == "WE")
                pins.we = bit(0);
            else if (port == "WCLKE")
                pins.wclke = bit(0);
            else if (port == "RE")
                pins.re = bit(0);
            else if (port == "RCLKE")
                pins.rclke = bit(0);
            else if (port == "RCLK" || port == "WCLK")
                ram_clocks_.push_back({out_.rams.size(), port == "WCLK", bit(0)});
            else
                throw Unsupported("icebox netlist: SB_RAM40_4K port " + port);
        }
        auto mode = [&](const char* param) {
            auto it = cell.params.find(param);
            return it == cell.params.end() ? 0 : number_value(it->second);
        };
        add_ram(out_, pins, mode("READ_MODE"), mode("WRITE_MODE"), init,
                "icebox netlist: " + cell.name);
    }

    void pll(const std::string& type) {
        Instance cell = instance();
        add_pll(
            out_, "icebox netlist: " + type + " " + cell.name,
            [&](const char* pin) {
                auto it = cell.ports.find(pin);
                return it == cell.ports.end() || it->second.empty() ? kConst0 : it->second[0];
            },
            [&](const char* param) {
                auto it = cell.params.find(param);
                return it == cell.params.end() ? std::string() : it->second;
            });
    }

    // A RAM port's clock, known once the whole netlist is read: a clock on a constant net never
    // ticks, so that port never acts (a ROM's write port: icebox_vlog ties its WCLK and WCLKE to
    // a LUT that is constant 0, which is no second clock). Any other is a clock of the design.
    void ram_clock_uses() {
        auto constant = constant_nets(out_);
        for (const auto& use : ram_clocks_) {
            if (!constant.at(use.clock)) {
                out_.use_clock(out_.names.at(use.clock));
                continue;
            }
            auto& ram = out_.rams.at(use.ram);
            (use.write ? ram.wclke : ram.rclke) = kConst0;
        }
    }

    struct RamClock {
        std::size_t ram; // index in out_.rams
        bool write;      // WCLK, else RCLK
        Net clock;
    };
    std::vector<RamClock> ram_clocks_;
};

} // namespace

Net GateNetlist::net(const std::string& name) {
    if (name == "1'b0")
        return kConst0;
    if (name == "1'b1")
        return kConst1;
    auto [it, added] = by_name.try_emplace(name, static_cast<Net>(names.size()));
    if (added)
        names.push_back(name);
    return it->second;
}

Net GateNetlist::fresh(const std::string& hint) {
    names.push_back("$" + hint + std::to_string(names.size()));
    return static_cast<Net>(names.size() - 1);
}

GateNetlist parse_icebox_verilog(std::string_view text) {
    return Parser(text).parse();
}

} // namespace detlab::equiv::detail
