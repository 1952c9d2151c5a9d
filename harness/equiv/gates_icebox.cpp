// icebox_vlog's Verilog (with -s) read into a GateNetlist. It writes a small, regular subset:
// `assign n = /* LUT x y i */ <?: expression>;`, carries as `(a & b) | ((a | b) & c)`,
// flip-flops as `always @(posedge clk) if (en) q <= sr ? 1'bV : d;` (or the asynchronous
// `always @(posedge clk, posedge sr) if (sr) q <= 1'bV; else if (en) q <= d;`), SB_RAM40_4K
// instances in every mode and SB_PLL40_* (cells.cpp). Anything else is refused with the
// construct named.
#include "harness/equiv/internal.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace detlab::equiv::detail {
namespace {

struct Token {
    enum Kind { name, number, string, punct, comment, end } kind = end;
    std::string text;
};

class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}

    Token next() {
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (std::isspace(static_cast<unsigned char>(c))) {
                ++pos_;
            } else if (text_.substr(pos_, 2) == "//") {
                pos_ = text_.find('\n', pos_);
                if (pos_ == std::string_view::npos)
                    pos_ = text_.size();
            } else if (text_.substr(pos_, 2) == "/*") {
                auto close = text_.find("*/", pos_ + 2);
                if (close == std::string_view::npos)
                    throw Unsupported("icebox netlist: unterminated comment");
                Token t{Token::comment, std::string(text_.substr(pos_ + 2, close - pos_ - 2))};
                pos_ = close + 2;
                return t;
            } else {
                break;
            }
        }
        if (pos_ >= text_.size())
            return {};
        std::size_t start = pos_;
        char c = text_[pos_];
        auto word = [&](auto accept) {
            while (pos_ < text_.size() && accept(static_cast<unsigned char>(text_[pos_])))
                ++pos_;
        };
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            word([](unsigned char ch) { return std::isalnum(ch) || ch == '_' || ch == '$'; });
            return {Token::name, std::string(text_.substr(start, pos_ - start))};
        }
        if (c == '\\') { // an escaped identifier (a bus bit: \in_data[3] ) ends at white space
            ++pos_;
            word([](unsigned char ch) { return !std::isspace(ch); });
            return {Token::name, std::string(text_.substr(start + 1, pos_ - start - 1))};
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            word([](unsigned char ch) { return std::isalnum(ch) || ch == '\'' || ch == '_'; });
            return {Token::number, std::string(text_.substr(start, pos_ - start))};
        }
        if (c == '"') { // a parameter's string value (PLLOUT_SELECT("GENCLK")), without quotes
            auto close = text_.find('"', pos_ + 1);
            if (close == std::string_view::npos)
                throw Unsupported("icebox netlist: unterminated string");
            pos_ = close + 1;
            return {Token::string, std::string(text_.substr(start + 1, close - start - 1))};
        }
        if (text_.substr(pos_, 2) == "<=") {
            pos_ += 2;
            return {Token::punct, "<="};
        }
        ++pos_;
        return {Token::punct, std::string(1, c)};
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

// An expression tree over nets, evaluated per input pattern to give a node's truth table.
struct Expr {
    enum Op { leaf, constant, inv, and_, or_, xor_, mux } op = leaf;
    Net net = 0;
    bool value = false;
    int a = -1, b = -1, c = -1; // children (mux: a ? b : c)
};

class Parser {
public:
    explicit Parser(std::string_view text) : lexer_(text) { advance(); }

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
    void advance() { peek_ = lexer_.next(); }
    void skip_comments() {
        while (peek_.kind == Token::comment)
            advance();
    }
    bool at(const char* punct) const { return peek_.kind == Token::punct && peek_.text == punct; }
    void expect(const char* punct) {
        skip_comments();
        if (!at(punct))
            throw Unsupported(std::string("icebox netlist: expected \"") + punct + "\", found \"" +
                              peek_.text + "\"");
        advance();
    }
    std::string take_name() {
        skip_comments();
        if (peek_.kind != Token::name)
            throw Unsupported("icebox netlist: expected a name, found \"" + peek_.text + "\"");
        std::string text = peek_.text;
        advance();
        return text;
    }
    void skip_to(const char* punct) {
        while (peek_.kind != Token::end && !at(punct))
            advance();
        expect(punct);
    }

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

    // ---- expressions: ?: below |, ^, &, then ! ~ and primaries ----
    int add(Expr e) {
        exprs_.push_back(e);
        return static_cast<int>(exprs_.size()) - 1;
    }
    int primary() {
        skip_comments();
        if (at("(")) {
            advance();
            int e = ternary();
            expect(")");
            return e;
        }
        if (at("!") || at("~")) {
            advance();
            return add({Expr::inv, 0, false, primary()});
        }
        if (peek_.kind == Token::number) {
            std::string n = peek_.text;
            advance();
            // 1'bz: the pin's released state (spi_miso while cs_n is high). The two-state
            // simulation reads it as 0; the serial protocol never samples it.
            if (n == "0" || n == "1'b0" || n == "1'bz")
                return add({Expr::constant, 0, false});
            if (n == "1" || n == "1'b1")
                return add({Expr::constant, 0, true});
            throw Unsupported("icebox netlist: constant " + n);
        }
        return add({Expr::leaf, out_.net(take_name())});
    }
    int binary(int level) {
        static const char* ops[] = {"|", "^", "&"};
        if (level == 3)
            return primary();
        int left = binary(level + 1);
        skip_comments();
        while (at(ops[level])) {
            advance();
            int right = binary(level + 1);
            Expr::Op op = level == 0 ? Expr::or_ : level == 1 ? Expr::xor_ : Expr::and_;
            left = add({op, 0, false, left, right});
        }
        return left;
    }
    int ternary() {
        int cond = binary(0);
        skip_comments();
        if (!at("?"))
            return cond;
        advance();
        int yes = ternary();
        expect(":");
        int no = ternary();
        return add({Expr::mux, 0, false, cond, yes, no});
    }
    bool eval(int e, const std::vector<Net>& leaves, unsigned pattern) const {
        const Expr& x = exprs_[static_cast<std::size_t>(e)];
        switch (x.op) {
        case Expr::leaf:
            for (std::size_t i = 0; i < leaves.size(); ++i)
                if (leaves[i] == x.net)
                    return (pattern >> i) & 1U;
            return false;
        case Expr::constant:
            return x.value;
        case Expr::inv:
            return !eval(x.a, leaves, pattern);
        case Expr::and_:
            return eval(x.a, leaves, pattern) && eval(x.b, leaves, pattern);
        case Expr::or_:
            return eval(x.a, leaves, pattern) || eval(x.b, leaves, pattern);
        case Expr::xor_:
            return eval(x.a, leaves, pattern) != eval(x.b, leaves, pattern);
        case Expr::mux:
            return eval(x.a, leaves, pattern) ? eval(x.b, leaves, pattern)
                                              : eval(x.c, leaves, pattern);
        }
        return false;
    }
    // The net an expression's value is on: a leaf or constant directly, else a new node.
    Net expression_net(Net out, bool is_lut) {
        exprs_.clear();
        int root = ternary();
        const Expr& r = exprs_[static_cast<std::size_t>(root)];
        std::vector<Net> leaves;
        for (const auto& x : exprs_)
            if (x.op == Expr::leaf &&
                std::find(leaves.begin(), leaves.end(), x.net) == leaves.end())
                leaves.push_back(x.net);
        if (leaves.size() > 6)
            throw Unsupported("icebox netlist: an expression of more than 6 nets");
        if (out == 0 && r.op == Expr::leaf && !is_lut)
            return r.net;
        if (out == 0 && r.op == Expr::constant)
            return r.value ? kConst1 : kConst0;
        std::uint64_t table = 0;
        for (unsigned p = 0; p < (1U << leaves.size()); ++p)
            if (eval(root, leaves, p))
                table |= std::uint64_t{1} << p;
        if (out == 0 && leaves.size() == 1 && table == 2)
            return leaves[0]; // "1'b0 ? 1'b0 : d", the flip-flop without set/reset
        GateNetlist::Node node;
        node.table = table;
        node.out = out ? out : out_.fresh("expr");
        node.in = leaves;
        node.is_lut = is_lut;
        out_.nodes.push_back(std::move(node));
        return out_.nodes.back().out;
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
    Lexer lexer_;
    Token peek_;
    GateNetlist out_;
    std::vector<Expr> exprs_;
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
