// Reading icebox_vlog's Verilog: the lexer, the token helpers and expressions into gate nodes.
#include "harness/equiv/icebox_reader.h"

#include <algorithm>
#include <cctype>

namespace detlab::equiv::detail::icebox {

Token Lexer::next() {
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

void Reader::skip_comments() {
    while (peek_.kind == Token::comment)
        advance();
}
void Reader::expect(const char* punct) {
    skip_comments();
    if (!at(punct))
        throw Unsupported(std::string("icebox netlist: expected \"") + punct + "\", found \"" +
                          peek_.text + "\"");
    advance();
}
std::string Reader::take_name() {
    skip_comments();
    if (peek_.kind != Token::name)
        throw Unsupported("icebox netlist: expected a name, found \"" + peek_.text + "\"");
    std::string text = peek_.text;
    advance();
    return text;
}
void Reader::skip_to(const char* punct) {
    while (peek_.kind != Token::end && !at(punct))
        advance();
    expect(punct);
}

int Reader::add(Expr e) {
    exprs_.push_back(e);
    return static_cast<int>(exprs_.size()) - 1;
}
int Reader::primary() {
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
int Reader::binary(int level) {
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
int Reader::ternary() {
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
bool Reader::eval(int e, const std::vector<Net>& leaves, unsigned pattern) const {
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
        return eval(x.a, leaves, pattern) ? eval(x.b, leaves, pattern) : eval(x.c, leaves, pattern);
    }
    return false;
}
Net Reader::expression_net(Net out, bool is_lut) {
    exprs_.clear();
    int root = ternary();
    const Expr& r = exprs_[static_cast<std::size_t>(root)];
    std::vector<Net> leaves;
    for (const auto& x : exprs_)
        if (x.op == Expr::leaf && std::find(leaves.begin(), leaves.end(), x.net) == leaves.end())
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

} // namespace detlab::equiv::detail::icebox
