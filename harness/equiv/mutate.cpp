// Deliberately wrong bitstreams, to show that the check catches one: flips one bit of a LUT's
// truth table in the .asc text.
#include "harness/equiv/equiv.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace detlab::equiv {

std::vector<LutSite> used_luts(std::string_view netlist_verilog) {
    // icebox_vlog writes each LUT as "assign nX = /* LUT  x  y  i */ <expression>;" and keeps
    // these comments even with -s.
    static const std::regex lut(R"(/\*\s*LUT\s+(\d+)\s+(\d+)\s+(\d+)\s*\*/\s*([^;]*);)");
    std::vector<LutSite> sites;
    std::string text(netlist_verilog);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), lut);
         it != std::sregex_iterator(); ++it) {
        std::string expression = (*it)[4].str();
        if (expression == "1'b0" || expression == "1'b1")
            continue;
        sites.push_back(
            {std::stoi((*it)[1].str()), std::stoi((*it)[2].str()), std::stoi((*it)[3].str())});
    }
    std::sort(sites.begin(), sites.end(), [](const LutSite& a, const LutSite& b) {
        return std::tie(a.x, a.y, a.index) < std::tie(b.x, b.y, b.index);
    });
    return sites;
}

std::string flip_lut_bit(std::string_view asc_text, const LutSite& site, int bit) {
    if (site.index < 0 || site.index > 7 || bit < 0 || bit > 15)
        throw std::invalid_argument("flip_lut_bit: LUT 0..7 and bit 0..15 expected");
    // A logic tile's block is 16 rows of 54 bits; LUT i keeps its 20 configuration bits in
    // rows 2i and 2i+1, columns 36..45, the truth table in this order (icestorm's
    // documentation of the logic tile).
    static constexpr int order[16] = {4, 14, 15, 5, 6, 16, 17, 7, 3, 13, 12, 2, 1, 11, 10, 0};
    int config_bit = order[bit];
    int row = 2 * site.index + config_bit / 10, column = 36 + config_bit % 10;

    std::string asc(asc_text);
    std::string header =
        ".logic_tile " + std::to_string(site.x) + " " + std::to_string(site.y) + "\n";
    std::size_t pos = asc.find(header);
    if (pos == std::string::npos)
        throw std::invalid_argument("flip_lut_bit: no logic tile " + std::to_string(site.x) + " " +
                                    std::to_string(site.y) + " in the .asc");
    pos += header.size();
    for (int r = 0; r < row; ++r)
        pos = asc.find('\n', pos) + 1;
    std::size_t cell = pos + static_cast<std::size_t>(column);
    if (cell >= asc.size() || (asc[cell] != '0' && asc[cell] != '1'))
        throw std::invalid_argument("flip_lut_bit: malformed logic tile block");
    asc[cell] = asc[cell] == '0' ? '1' : '0';
    return asc;
}

std::string flip_ram_init_bit(std::string_view asc_text, int ram, int word, int bit) {
    if (word < 0 || word > 255 || bit < 0 || bit > 15)
        throw std::invalid_argument("flip_ram_init_bit: word 0..255 and bit 0..15 expected");
    std::string asc(asc_text);
    std::size_t pos = 0;
    for (int r = 0; r <= ram; ++r) {
        pos = asc.find(".ram_data ", pos);
        if (pos == std::string::npos)
            throw std::invalid_argument("flip_ram_init_bit: no RAM " + std::to_string(ram) +
                                        " with contents in the .asc");
        pos += 10;
    }
    // 16 lines after the header, line i = INIT_i as 64 hex digits, word 0 the last four.
    pos = asc.find('\n', pos) + 1;
    for (int line = 0; line < word / 16; ++line)
        pos = asc.find('\n', pos) + 1;
    std::size_t digit = pos + 63 - static_cast<std::size_t>(4 * (word % 16) + bit / 4);
    if (digit >= asc.size() || !std::isxdigit(static_cast<unsigned char>(asc[digit])))
        throw std::invalid_argument("flip_ram_init_bit: malformed .ram_data block");
    int value = std::stoi(std::string(1, asc[digit]), nullptr, 16) ^ (1 << (bit % 4));
    asc[digit] = "0123456789abcdef"[value];
    return asc;
}

std::string swap_ram_data_bits(const std::string& netlist, int ram, int bit_a, int bit_b) {
    if (bit_a < 0 || bit_a > 15 || bit_b < 0 || bit_b > 15 || bit_a == bit_b)
        throw std::invalid_argument("swap_ram_data_bits: two different bits 0..15 expected");
    std::size_t pos = 0;
    for (int r = 0; r <= ram; ++r) {
        pos = netlist.find("SB_RAM40_4K", pos);
        if (pos == std::string::npos)
            throw std::invalid_argument("swap_ram_data_bits: no RAM " + std::to_string(ram));
        pos += 11;
    }
    std::size_t open = netlist.find(".WDATA({", pos);
    std::size_t close = open == std::string::npos ? open : netlist.find("})", open);
    if (close == std::string::npos)
        throw std::invalid_argument("swap_ram_data_bits: RAM without a WDATA bus");
    open += 8;
    std::vector<std::string> bits; // MSB first, as written
    std::string list = netlist.substr(open, close - open);
    for (std::size_t start = 0;;) {
        std::size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
        item.erase(0, item.find_first_not_of(' '));
        bits.push_back(item);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    if (bits.size() != 16)
        throw std::invalid_argument("swap_ram_data_bits: WDATA is not 16 bits");
    std::swap(bits[static_cast<std::size_t>(15 - bit_a)],
              bits[static_cast<std::size_t>(15 - bit_b)]);
    std::string joined;
    for (const auto& b : bits)
        joined += (joined.empty() ? "" : ", ") + b;
    return netlist.substr(0, open) + joined + netlist.substr(close);
}

} // namespace detlab::equiv
