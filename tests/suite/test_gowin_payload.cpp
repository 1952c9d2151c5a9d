// The Gowin configuration payload (analysis::gowin_config_payload) on hand-made .fs files in the
// layout gowin_pack 0.17 writes (apycula bslib.py): three preamble lines, header commands with
// the device ID (0x06) and the frame count (0x3B), frame lines of [pad ones][content][CRC-16][48
// ones], footer commands. Only content bits count.
#include "analysis/analysis.h"

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>

using namespace detlab;
using namespace detlab::analysis;

namespace {

// GW1N-9C: 2836 content bits per frame behind 4 pad bits (a real .fs of gowin_pack has 712).
constexpr std::size_t kWidth = 2836, kFrames = 4;

std::string bits_of(std::initializer_list<unsigned> bytes) {
    std::string out;
    for (unsigned b : bytes)
        for (int i = 7; i >= 0; --i)
            out += (b >> i & 1u) ? '1' : '0';
    return out;
}

// frames[i]: the content bits of frame i ('0'/'1'); crc: the 16 CRC bits written after each.
Bytes tiny_fs(const std::vector<std::string>& frames, const std::string& crc,
              std::uint32_t id = 0x1100481B, std::size_t pad = 4) {
    std::string text = std::string(160, '1') + "\n" + std::string(16, '1') + "\n" +
                       "1010010111000011\n" + "// a comment line\n";
    text += bits_of({0x06, 0, 0, 0, id >> 24, id >> 16 & 0xFF, id >> 8 & 0xFF, id & 0xFF}) + "\n";
    text += bits_of({0x10, 0, 0, 0, 0, 0, 0, 0}) + "\n";
    text += bits_of({0x3B, 0x80, 0, static_cast<unsigned>(frames.size())}) + "\n";
    for (const auto& frame : frames)
        text += std::string(pad, '1') + frame + crc + std::string(48, '1') + "\n";
    text += bits_of({0x0A, 0, 0, 0, 0, 0, 0, 0}) + "\n" + bits_of({0x08, 0, 0, 0}) + "\n";
    return Bytes(text.begin(), text.end());
}

std::vector<std::string> blank() {
    return std::vector<std::string>(kFrames, std::string(kWidth, '0'));
}

std::uint64_t set_bits(const Bytes& bytes) {
    std::uint64_t n = 0;
    for (auto b : bytes)
        n += static_cast<std::uint64_t>(std::popcount(b));
    return n;
}

bool bit_at(const Bytes& bytes, std::size_t index) {
    return (bytes[index / 8] >> (7 - index % 8)) & 1u;
}

} // namespace

TEST_CASE("Gowin payload: content bits only, at frame x width + bit") {
    auto frames = blank();
    frames[0][0] = '1';
    frames[2][7] = '1';
    frames[3][kWidth - 1] = '1';
    Bytes fs = tiny_fs(frames, std::string(16, '1'));

    auto payload = gowin_config_payload(fs);
    REQUIRE(payload);
    CHECK(payload->size() == kFrames * kWidth / 8);
    CHECK(set_bits(*payload) == 3); // pad, CRC and trailer ones do not count
    CHECK(bit_at(*payload, 0));
    CHECK(bit_at(*payload, 2 * kWidth + 7));
    CHECK(bit_at(*payload, 4 * kWidth - 1));

    auto either = config_payload(fs);
    REQUIRE(either);
    CHECK(either->over == "frames");
    CHECK(either->bits == *payload);
}

TEST_CASE("Gowin distance: CRCs do not count, one frame bit counts once") {
    Bytes a = tiny_fs(blank(), std::string(16, '0'));
    Bytes other_crc = tiny_fs(blank(), "1010101010101010");
    auto same = bitstream_distance(a, other_crc);
    CHECK(same.over == "frames");
    CHECK(same.bits.differing_bits == 0);
    CHECK(same.bits.total_bits == kFrames * kWidth);
    CHECK(bit_distance(a, other_crc).differing_bits > 0); // the files' bytes do differ

    auto frames = blank();
    frames[1][100] = '1';
    auto one = bitstream_distance(a, tiny_fs(frames, "0110011001100110"));
    CHECK(one.over == "frames");
    CHECK(one.bits.differing_bits == 1);
}

TEST_CASE("Gowin payload: a die without pad bits (GW1N-1) keeps every bit before the CRC") {
    auto frames = std::vector<std::string>(2, std::string(1216, '0'));
    frames[0][0] = '1';
    auto payload = gowin_config_payload(tiny_fs(frames, std::string(16, '1'), 0x0900281B, 0));
    REQUIRE(payload);
    CHECK(payload->size() == 2 * 1216 / 8);
    CHECK(set_bits(*payload) == 1);
    CHECK(bit_at(*payload, 0));
}

TEST_CASE("Gowin payload: not a .fs, cut short, an unknown die, uneven or damaged frames") {
    Bytes a = tiny_fs(blank(), std::string(16, '0'));
    std::string text(a.begin(), a.end());
    auto cut = text.substr(0, text.size() / 2);
    CHECK_FALSE(gowin_config_payload(Bytes(cut.begin(), cut.end())));
    CHECK_FALSE(gowin_config_payload(tiny_fs(blank(), std::string(16, '0'), 0x7700481B)));

    auto uneven = blank();
    uneven[2] += "00000000"; // a compressed .fs has lines of different lengths
    CHECK_FALSE(gowin_config_payload(tiny_fs(uneven, std::string(16, '0'))));

    std::string broken = text;
    auto frame = broken.find('\n', broken.find(bits_of({0x3B, 0x80, 0, kFrames}))) + 1;
    auto end = broken.find('\n', frame);
    broken[end - 1] = '0'; // the trailer's last bit, always 1 in gowin_pack's output
    CHECK_FALSE(gowin_config_payload(Bytes(broken.begin(), broken.end())));

    Bytes noise(4000, '1');
    CHECK_FALSE(gowin_config_payload(noise));
    CHECK(bitstream_distance(noise, a).over == "file");
}
