// Textual RTL edits with no functional effect, for the rtl_rename and rtl_dead_logic factors.
// A small Verilog tokenizer is enough: it skips comments, strings, numbers with bases, system
// names and compiler directives, so only real identifiers are ever rewritten.
#include "harness/toolchain/toolchain.h"

#include <cctype>
#include <set>

namespace detlab::toolchain {
namespace {

struct Token {
    enum class Kind { identifier, punctuation, other } kind;
    std::size_t begin, end;
};

bool ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// Length of the token of kind `other` (comment, string, number, directive, escaped name) at i,
// or 0 when the text at i is not one.
std::size_t skip_other(std::string_view text, std::size_t i) {
    auto rest = text.substr(i);
    auto until = [&](std::string_view end, std::size_t from) {
        std::size_t found = text.find(end, i + from);
        return found == std::string_view::npos ? rest.size() : found + end.size() - i;
    };
    if (rest.starts_with("//"))
        return until("\n", 2);
    if (rest.starts_with("/*"))
        return until("*/", 2);
    std::size_t n = 1;
    if (rest[0] == '"') {
        while (n < rest.size() && rest[n] != '"')
            n += rest[n] == '\\' ? 2 : 1;
        return std::min(n + 1, rest.size());
    }
    if (rest[0] == '\\') { // escaped identifier: ends at white space
        while (n < rest.size() && !std::isspace(static_cast<unsigned char>(rest[n])))
            ++n;
        return n;
    }
    if (rest[0] == '`' || rest[0] == '$' || rest[0] == '\'' ||
        std::isdigit(static_cast<unsigned char>(rest[0]))) {
        // Directives, system names and numbers such as 8'hFF or 'sd3: the letters that follow
        // belong to them, never to an identifier.
        while (n < rest.size() && (ident_char(rest[n]) || rest[n] == '\'' || rest[n] == '?'))
            ++n;
        return n;
    }
    return 0;
}

std::vector<Token> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (std::size_t n = skip_other(text, i)) {
            tokens.push_back({Token::Kind::other, i, i + n});
            i += n;
        } else if (ident_start(c)) {
            std::size_t end = i + 1;
            while (end < text.size() && ident_char(text[end]))
                ++end;
            tokens.push_back({Token::Kind::identifier, i, end});
            i = end;
        } else {
            tokens.push_back({Token::Kind::punctuation, i, i + 1});
            ++i;
        }
    }
    return tokens;
}

class Module {
public:
    Module(std::string_view text, const std::vector<Token>& tokens, std::size_t first,
           std::size_t last)
        : text_(text), tokens_(tokens), first_(first), last_(last) {}

    // Names declared by reg/wire/integer/genvar/logic statements that are not ports.
    std::set<std::string> internal_names() const {
        std::set<std::string> names, ports;
        std::size_t i = first_;
        for (; i < last_ && word(i) != ";"; ++i) // the header: ANSI ports and parameters
            if (tokens_[i].kind == Token::Kind::identifier)
                ports.insert(std::string(word(i)));
        bool statement_is_port = false;
        bool at_statement_start = true;
        for (; i < last_; ++i) {
            std::string_view w = word(i);
            if (at_statement_start)
                statement_is_port = w == "input" || w == "output" || w == "inout";
            at_statement_start = w == ";" || w == "begin" || w == "end";
            if (statement_is_port && tokens_[i].kind == Token::Kind::identifier)
                ports.insert(std::string(w));
            else if (w == "reg" || w == "wire" || w == "integer" || w == "genvar" || w == "logic")
                i = collect_declarators(i + 1, names);
        }
        for (const auto& port : ports)
            names.erase(port);
        return names;
    }

private:
    std::string_view word(std::size_t i) const {
        return text_.substr(tokens_[i].begin, tokens_[i].end - tokens_[i].begin);
    }

    // Reads "signed [7:0] a = x, b [0:3];" and returns the index of the ';'.
    std::size_t collect_declarators(std::size_t i, std::set<std::string>& names) const {
        bool expect_name = true;
        int depth = 0;
        for (; i < last_; ++i) {
            std::string_view w = word(i);
            if (w == "(" || w == "[" || w == "{")
                ++depth;
            else if (w == ")" || w == "]" || w == "}")
                --depth;
            else if (depth == 0 && w == ";")
                return i;
            else if (depth == 0 && w == ",")
                expect_name = true;
            else if (depth == 0 && expect_name && tokens_[i].kind == Token::Kind::identifier &&
                     w != "signed") {
                names.insert(std::string(w));
                expect_name = false;
            }
        }
        return i;
    }

    std::string_view text_;
    const std::vector<Token>& tokens_;
    std::size_t first_, last_;
};

// Calls visit(first, last) for each module's token range [first, last).
template <class Visit>
void for_each_module(std::string_view text, const std::vector<Token>& tokens, Visit visit) {
    std::size_t start = 0;
    bool inside = false;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i].kind != Token::Kind::identifier)
            continue;
        std::string_view w = text.substr(tokens[i].begin, tokens[i].end - tokens[i].begin);
        if (w == "module" && !inside) {
            start = i;
            inside = true;
        } else if (w == "endmodule" && inside) {
            visit(start, i);
            inside = false;
        }
    }
}

std::string new_name(const std::string& name) {
    // A hash prefix changes where the name sorts, which is what a real rename does too.
    std::string renamed = "n";
    renamed.append(sha256_hex(std::string_view(name)), 0, 6);
    renamed.append("_");
    renamed.append(name);
    return renamed;
}

} // namespace

std::string rename_internal_signals(std::string_view verilog) {
    auto tokens = tokenize(verilog);
    std::vector<std::pair<std::size_t, std::string>> edits; // token index -> new text
    for_each_module(verilog, tokens, [&](std::size_t first, std::size_t last) {
        auto names = Module(verilog, tokens, first, last).internal_names();
        for (std::size_t i = first; i < last; ++i) {
            const Token& t = tokens[i];
            std::string w(verilog.substr(t.begin, t.end - t.begin));
            // "(.name(" and ", .name(" connect a port of another module: not ours to change.
            // After an identifier or "]" the dot is a hierarchical reference ("row[1].partial"
            // into a generate block of this module), which must follow the rename.
            bool port_connection = i > 1 && verilog.substr(tokens[i - 1].begin, 1) == "." &&
                                   (verilog.substr(tokens[i - 2].begin, 1) == "(" ||
                                    verilog.substr(tokens[i - 2].begin, 1) == ",");
            if (t.kind == Token::Kind::identifier && !port_connection && names.count(w))
                edits.emplace_back(i, new_name(w));
        }
    });
    std::string out;
    std::size_t copied = 0;
    for (const auto& [index, text] : edits) {
        out.append(verilog.substr(copied, tokens[index].begin - copied));
        out.append(text);
        copied = tokens[index].end;
    }
    out.append(verilog.substr(copied));
    return out;
}

std::optional<std::string> add_dead_logic(std::string_view verilog, std::string_view top,
                                          bool kept) {
    auto tokens = tokenize(verilog);
    std::optional<std::size_t> insert_at;
    for_each_module(verilog, tokens, [&](std::size_t first, std::size_t last) {
        auto name = first + 1 < tokens.size() ? tokens[first + 1] : tokens[first];
        if (verilog.substr(name.begin, name.end - name.begin) == top)
            insert_at = tokens[last].begin;
    });
    if (!insert_at)
        return std::nullopt;
    std::string logic =
        std::string("    // detlab rtl_dead_logic: a counter that drives nothing\n") +
        (kept ? "    (* keep *) " : "    ") +
        "reg [7:0] detlab_dead_count = 8'd0;\n"
        "    always @(posedge clk) detlab_dead_count <= detlab_dead_count + 8'd1;\n";
    std::string out(verilog.substr(0, *insert_at));
    out += logic;
    out += verilog.substr(*insert_at);
    return out;
}

} // namespace detlab::toolchain
