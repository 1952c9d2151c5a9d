// The configuration payload of a Gowin .fs (issue 27): the bits of every configuration frame,
// without the file's header and footer commands, each frame's pad bits, CRC-16 and trailer. The
// layout is Project Apicula's (apycula 0.17, bslib.py read_bitstream/write_bitstream): a text
// file of lines of '0'/'1', one command or frame per line, "//" lines comments. Three preamble
// lines, then header commands, of which 0x06 carries the device ID and 0x3B the frame count;
// then that many frame lines, each [pad ones][content][CRC-16, 16 bits][48 ones]; then footer
// commands. The pad width is the device's (4 bits on the GW1N-9 and GW1N-9C dies, else none).
#include "analysis/distance/distance.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace detlab::analysis {
namespace {

struct GowinDie {
    std::uint32_t id; // the 0x06 command's last four bytes
    std::size_t pad_bits;
};

// apycula's read_bitstream table: the 0x06 command holds the die's JTAG IDCODE. The GW1N-9C and
// GW1N-1 ones are what gowin_pack 0.17 writes for gw1nr-9 and gw1n-1
// (tests/suite/test_suite_gowin.cpp reads a real GW1N-9C .fs).
constexpr std::array<GowinDie, 8> kDies{{
    {0x1100581B, 4}, // GW1N-9
    {0x1100481B, 4}, // GW1N-9C (GW1NR-9)
    {0x0900281B, 0}, // GW1N-1
    {0x0100381B, 0}, // GW1N-4
    {0x0100681B, 0}, // GW1NZ-1
    {0x0300181B, 0}, // GW1NS-2
    {0x0100981B, 0}, // GW1NS-4
    {0x0000081B, 0}, // GW2A-18
}};

constexpr std::size_t kTrailerBits = 16 + 48; // CRC-16 and the 48 ones after it

// The next line of `text` from `pos` (without its '\n'; a '\r' before it dropped).
std::string_view next_line(std::string_view text, std::size_t& pos) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
        end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

bool is_bits(std::string_view line) {
    return !line.empty() && line.size() % 8 == 0 &&
           std::all_of(line.begin(), line.end(), [](char c) { return c == '0' || c == '1'; });
}

std::uint8_t byte_at(std::string_view line, std::size_t index) {
    std::uint8_t value = 0;
    for (std::size_t i = 0; i < 8; ++i)
        value = static_cast<std::uint8_t>(value << 1 | (line[index * 8 + i] == '1'));
    return value;
}

} // namespace

std::optional<Bytes> gowin_config_payload(std::span<const std::uint8_t> fs) {
    std::string_view text(reinterpret_cast<const char*>(fs.data()), fs.size());
    std::size_t pos = 0, preamble = 3, frames = 0;
    std::optional<std::size_t> pad;
    // Header: up to and including the frame count.
    while (frames == 0) {
        if (pos >= text.size())
            return std::nullopt;
        auto line = next_line(text, pos);
        if (line.starts_with("//"))
            continue;
        if (!is_bits(line))
            return std::nullopt;
        if (preamble > 0) {
            --preamble;
            continue;
        }
        std::uint8_t command = byte_at(line, 0);
        if (command == 0x06 && line.size() == 64) {
            std::uint32_t id = 0;
            for (std::size_t i = 4; i < 8; ++i)
                id = id << 8 | byte_at(line, i);
            auto die = std::find_if(kDies.begin(), kDies.end(),
                                    [&](const GowinDie& d) { return d.id == id; });
            if (die == kDies.end())
                return std::nullopt;
            pad = die->pad_bits;
        } else if (command == 0x3B) {
            for (std::size_t i = 2; i < line.size() / 8; ++i)
                frames = frames << 8 | byte_at(line, i);
            if (frames == 0)
                return std::nullopt;
        }
    }
    if (!pad)
        return std::nullopt; // no device ID before the frames: not a .fs this reads
    Bytes bits;
    std::size_t width = 0; // content bits per frame, from the first frame
    for (std::size_t f = 0; f < frames; ++f) {
        if (pos >= text.size())
            return std::nullopt;
        auto line = next_line(text, pos);
        if (line.starts_with("//")) {
            --f;
            continue;
        }
        // Every frame has the same length (a compressed .fs has not: gowin_pack -c is not read).
        if (!is_bits(line) || line.size() <= *pad + kTrailerBits)
            return std::nullopt;
        std::size_t content = line.size() - *pad - kTrailerBits;
        if (f == 0) {
            width = content;
            bits.assign((frames * width + 7) / 8, 0);
        } else if (content != width) {
            return std::nullopt;
        }
        auto trailer = line.substr(line.size() - 48);
        if (trailer.find('0') != std::string_view::npos)
            return std::nullopt;
        for (std::size_t j = 0; j < width; ++j)
            if (line[*pad + j] == '1') {
                std::size_t index = f * width + j;
                bits[index / 8] |= static_cast<std::uint8_t>(0x80u >> (index % 8));
            }
    }
    // The footer: command lines only.
    while (pos < text.size()) {
        auto line = next_line(text, pos);
        if (!line.empty() && !line.starts_with("//") && !is_bits(line))
            return std::nullopt;
    }
    return bits;
}

} // namespace detlab::analysis
