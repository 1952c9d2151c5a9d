// Text from data on its way to a spreadsheet or a terminal: neutralised so it stays text.
#include "harness/util/util.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace detlab {
namespace {

// A whole cell that strtod reads as a number ("-1.5", "+3e4") is a value, not a formula:
// negative metrics must stay numbers in a spreadsheet.
bool plain_number(const std::string& text) {
    if (text.empty() || text.size() > 64)
        return false;
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && text.find_first_of("\t\r\n ") == std::string::npos;
}

bool formula_like(const std::string& text) {
    if (text.empty())
        return false;
    switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
        return !plain_number(text);
    default:
        return false;
    }
}

std::string hex_escape(unsigned value, int digits, const char* prefix) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%s%0*x", prefix, digits, value);
    return buffer;
}

// Length of the valid UTF-8 sequence starting at text[i] (0 when invalid), and its code point.
std::size_t utf8_sequence(std::string_view text, std::size_t i, unsigned& code) {
    auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(text[k]);
    };
    unsigned lead = byte(i);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || i + length > text.size())
        return 0;
    code = length == 1 ? lead : lead & (0x7fu >> length);
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr unsigned kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return 0; // overlong, beyond Unicode, or a surrogate
    return length;
}

} // namespace

std::string csv_cell(const std::string& text) {
    bool neutralise = formula_like(text);
    if (!neutralise && text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string quoted = neutralise ? "\"'" : "\"";
    for (char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string terminal_safe(std::string_view text, std::size_t max_bytes) {
    std::string shown = text.size() > max_bytes ? std::string(text.substr(0, max_bytes)) : "";
    std::string_view source = text.size() > max_bytes ? std::string_view(shown) : text;
    std::string safe;
    safe.reserve(source.size());
    for (std::size_t i = 0; i < source.size();) {
        unsigned code = 0;
        std::size_t length = utf8_sequence(source, i, code);
        if (length == 0) {
            safe += hex_escape(static_cast<unsigned char>(source[i]), 2, "\\x");
            ++i;
            continue;
        }
        if (code == '\n')
            safe += "\\n";
        else if (code == '\t')
            safe += "\\t";
        else if (code == '\r')
            safe += "\\r";
        else if (code < 0x20 || code == 0x7f)
            safe += hex_escape(code, 2, "\\x");
        else if (code >= 0x80 && code < 0xa0)
            safe += hex_escape(code, 4, "\\u");
        else if (code == '\\')
            safe += "\\\\";
        else
            safe.append(source.substr(i, length));
        i += length;
    }
    if (text.size() > max_bytes)
        safe += "... (" + std::to_string(text.size()) + " bytes in all)";
    return safe;
}

bool is_plain_file_name(std::string_view name) {
    if (name.empty() || name.front() == '-' || name.find('/') != std::string_view::npos ||
        name.find("..") != std::string_view::npos || name == ".")
        return false;
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return false;
    return true;
}

bool is_identifier(std::string_view text) {
    auto letter = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    if (text.empty() || !letter(text[0]))
        return false;
    return std::all_of(text.begin(), text.end(),
                       [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

bool is_plain_text(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("_.+-/:").find(c) != std::string_view::npos;
    });
}

} // namespace detlab
