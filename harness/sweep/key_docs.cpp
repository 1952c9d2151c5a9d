// The experiment-file key reference as markdown: docs/experiments.md holds this text between
// marker comments and a test compares the two, so the documented keys are the code's keys.
#include "harness/sweep/experiment_spec.h"
#include "harness/sweep/sweep.h"

#include <cmath>
#include <sstream>

namespace detlab::sweep {
namespace {

// Cell text is data (a key's documentation): a '|' would end the cell, '<' start an HTML tag,
// '*' emphasis, a newline the table row. Backticks stay: a code span is harmless in a cell,
// since the table splits cells on unescaped '|' before any inline markup is read.
std::string escape_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '|':
        case '*':
        case '\\':
            out += '\\';
            out += c;
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '\n':
        case '\r':
            out += ' ';
            break;
        default:
            out += c;
        }
    }
    return out;
}

// A code span whose fence is longer than any run of backticks inside it; '|' still needs its
// backslash inside a table cell.
std::string code_cell(const std::string& text) {
    std::size_t longest = 0, run = 0;
    std::string body;
    for (char c : text) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
        if (c == '|')
            body += '\\';
        body += c == '\n' || c == '\r' ? ' ' : c;
    }
    std::string fence(longest + 1, '`');
    bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
    return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

const char* type_word(KeySpec::Type type) {
    switch (type) {
    case KeySpec::Type::integer:
        return "integer";
    case KeySpec::Type::real:
        return "number";
    case KeySpec::Type::boolean:
        return "boolean";
    case KeySpec::Type::string:
        return "string";
    case KeySpec::Type::table:
        return "table";
    case KeySpec::Type::list:
        return "list";
    }
    return "?";
}

// Whole numbers without a fraction ("86400", not "86400.0"), so the range reads as written.
std::string number_text(double value) {
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9e18)
        return std::to_string(static_cast<long long>(value));
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string range_text(const KeySpec& spec) {
    if (!spec.choices.empty())
        return escape_cell(join(spec.choices));
    if (spec.min < spec.max)
        return number_text(spec.min) + ".." + number_text(spec.max);
    return "";
}

std::string meaning_text(const KeySpec& spec) {
    std::string text = escape_cell(spec.doc);
    if (spec.applies_when)
        text += "; only when " + code_cell(spec.applies_when->key) + " is " +
                code_cell(spec.applies_when->value.dump()) + " (giving it otherwise is an error)";
    return text;
}

// The file's own tables: their texts are markdown written for this table (links, code spans).
std::string file_key_table_markdown(const std::vector<FileKey>& keys) {
    std::string table = "| key | type | default | meaning |\n|---|---|---|---|\n";
    for (const auto& key : keys)
        table += "| " + code_cell(key.name) + " | " + key.type + " | " + key.default_text + " | " +
                 key.meaning + " |\n";
    return table;
}

} // namespace

std::string key_table_markdown(const std::vector<KeySpec>& keys) {
    std::string table = "| key | type | default | range / choices | factor | meaning |\n"
                        "|---|---|---|---|---|---|\n";
    for (const auto& spec : keys)
        table += "| " + code_cell(spec.name) + " | " + type_word(spec.type) + " | " +
                 code_cell(spec.default_value.dump()) + " | " + range_text(spec) + " | " +
                 (spec.factor ? "yes" : "no") + " | " + meaning_text(spec) + " |\n";
    return table;
}

std::string key_reference_markdown(const std::vector<Domain>& domains) {
    std::string text =
        "`[experiment]` keys:\n\n" + file_key_table_markdown(experiment_table_keys()) +
        "\n`[[<domain>.vary]]` keys (one study):\n\n" + file_key_table_markdown(study_table_keys());
    for (const auto& domain : domains) {
        if (!text.empty())
            text += "\n";
        text += code_cell("[" + domain.kind + "]") + " keys:\n\n" + key_table_markdown(domain.keys);
    }
    return text;
}

} // namespace detlab::sweep
