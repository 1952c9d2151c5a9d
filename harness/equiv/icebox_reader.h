// Reading icebox_vlog's Verilog: its tokens, and its expressions turned into gate nodes. The
// statements that use them (module ports, assigns, flip-flops, RAM and PLL instances) are in
// gates_icebox.cpp; private to harness/equiv.
#pragma once

#include "harness/equiv/internal.h"

#include <string>
#include <string_view>
#include <vector>

namespace detlab::equiv::detail::icebox {

struct Token {
    enum Kind { name, number, string, punct, comment, end } kind = end;
    std::string text;
};

// Splits the text into names (escaped identifiers without their backslash), numbers as written
// (2'b11), strings without quotes, punctuation ("<=" as one) and /* comments */ (kept: a LUT is
// marked by one); // comments and white space are dropped. Throws Unsupported on an
// unterminated comment or string.
class Lexer {
public:
    explicit Lexer(std::string_view text) : text_(text) {}
    Token next();

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

// The token stream with one token of look-ahead, and expressions read from it into `out_`'s
// nodes. The statement parser (gates_icebox.cpp) builds on it.
class Reader {
public:
    explicit Reader(std::string_view text) : lexer_(text) { advance(); }

protected:
    void advance() { peek_ = lexer_.next(); }
    void skip_comments();
    bool at(const char* punct) const { return peek_.kind == Token::punct && peek_.text == punct; }
    // Throws Unsupported naming what was expected and what was found.
    void expect(const char* punct);
    std::string take_name();
    void skip_to(const char* punct);

    // Reads one expression (?: below |, ^, &, then ! ~ and primaries) and gives the net its
    // value is on: `out` itself when nonzero (a node driving it), else a leaf or constant
    // directly, else a new node. A LUT's node is marked is_lut. At most 6 nets per expression.
    Net expression_net(Net out, bool is_lut);

    Lexer lexer_;
    Token peek_;
    GateNetlist out_;

private:
    int add(Expr e);
    int primary();
    int binary(int level);
    int ternary();
    bool eval(int e, const std::vector<Net>& leaves, unsigned pattern) const;

    std::vector<Expr> exprs_;
};

} // namespace detlab::equiv::detail::icebox
