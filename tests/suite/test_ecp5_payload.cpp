// The ECP5 configuration payload (analysis::ecp5_config_payload) on hand-made bitstreams in the
// layout ecppack writes: header, preamble, commands, 7562 frames of 592 bits (LFE5U-25F) each
// with its CRC and dummy byte, a block RAM write, DONE. Only frame and EBR bits count.
#include "analysis/analysis.h"

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>

using namespace detlab;
using namespace detlab::analysis;

namespace {

constexpr std::size_t kFrames = 7562, kFrameBytes = 592 / 8, kEbrBytes = 2304, kEbrs = 56;

void put(Bytes& out, std::initializer_list<unsigned> bytes) {
    for (unsigned b : bytes)
        out.push_back(static_cast<std::uint8_t>(b));
}

// frames[i] is the i-th frame as written (the file holds them from the last index down);
// ebr_group: 9 bytes written to EBR 3 at word 16.
Bytes tiny_ecp5(const std::vector<Bytes>& frames, const Bytes& ebr_group, std::uint8_t crc_fill) {
    Bytes out;
    put(out, {0xFF, 0x00});
    for (char c : std::string("Part: LFE5U-25F-6CABGA256"))
        out.push_back(static_cast<std::uint8_t>(c));
    put(out, {0x00, 0xFF, 0xFF, 0xFF, 0xBD, 0xB3, 0xFF, 0xFF, 0xFF, 0xFF});
    put(out, {0x3B, 0, 0, 0});                         // reset CRC
    put(out, {0xE2, 0, 0, 0, 0x41, 0x11, 0x10, 0x43}); // VERIFY_ID LFE5U-25F
    put(out, {0x22, 0, 0, 0, 0x40, 0, 0, 0});          // control register 0
    put(out, {0x46, 0, 0, 0});                         // init address
    put(out, {0x82, 0x91, kFrames >> 8, kFrames & 0xFF});
    for (const auto& frame : frames) {
        out.insert(out.end(), frame.begin(), frame.end());
        put(out, {crc_fill, crc_fill, 0xFF});
    }
    put(out, {0xC2, 0x80, 0, 0, 0, 0, 0, 0, crc_fill, crc_fill}); // usercode with CRC
    put(out, {0xF6, 0, 0, 0, 0, 0, (3 << 11 | 16) >> 8, (3 << 11 | 16) & 0xFF});
    put(out, {0xB2, 0x80, 0, 1});
    out.insert(out.end(), ebr_group.begin(), ebr_group.end());
    put(out, {crc_fill, crc_fill});
    put(out, {0x5E, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF});
    return out;
}

std::vector<Bytes> blank_frames() {
    return std::vector<Bytes>(kFrames, Bytes(kFrameBytes, 0));
}

std::uint64_t set_bits(const Bytes& bytes) {
    std::uint64_t n = 0;
    for (auto b : bytes)
        n += static_cast<std::uint64_t>(std::popcount(b));
    return n;
}

} // namespace

TEST_CASE("ECP5 payload: frame and EBR bits only, at their frame and EBR positions") {
    auto frames = blank_frames();
    frames[0][kFrameBytes - 1] = 0x01; // written first = frame index 7561, bit 0
    frames[1][0] = 0x80;               // frame index 7560, bit 591
    Bytes ebr{0xA5, 0, 0, 0, 0, 0, 0, 0, 0x01};
    Bytes bit = tiny_ecp5(frames, ebr, 0x12);

    auto payload = ecp5_config_payload(bit);
    REQUIRE(payload);
    CHECK(payload->size() == kFrames * kFrameBytes + kEbrs * kEbrBytes);
    CHECK(set_bits(*payload) == 2 + 4 + 1);
    std::size_t first = 7561 * 592, second = 7560 * 592 + 591;
    CHECK(((*payload)[first / 8] >> (7 - first % 8) & 1) == 1);
    CHECK(((*payload)[second / 8] >> (7 - second % 8) & 1) == 1);
    std::size_t ebr_at = kFrames * kFrameBytes + 3 * kEbrBytes + 16 / 8 * 9;
    CHECK((*payload)[ebr_at] == 0xA5);
    CHECK((*payload)[ebr_at + 8] == 0x01);

    auto either = config_payload(bit);
    REQUIRE(either);
    CHECK(either->over == "frames+ebr");
    CHECK(either->bits == *payload);
}

TEST_CASE("ECP5 distance: CRCs and header do not count, one frame bit counts once") {
    Bytes ebr(9, 0);
    Bytes a = tiny_ecp5(blank_frames(), ebr, 0x12);
    Bytes other_crc = tiny_ecp5(blank_frames(), ebr, 0x34);
    auto same = bitstream_distance(a, other_crc);
    CHECK(same.over == "frames+ebr");
    CHECK(same.bits.differing_bits == 0);
    CHECK(same.bits.total_bits == 8 * (kFrames * kFrameBytes + kEbrs * kEbrBytes));

    auto frames = blank_frames();
    frames[100][7] = 0x10;
    auto one = bitstream_distance(a, tiny_ecp5(frames, ebr, 0x56));
    CHECK(one.over == "frames+ebr");
    CHECK(one.bits.differing_bits == 1);
}

TEST_CASE("ECP5 payload: not an ECP5 bitstream, cut short, an unknown die") {
    Bytes a = tiny_ecp5(blank_frames(), Bytes(9, 0), 0);
    CHECK_FALSE(ecp5_config_payload(Bytes(a.begin(), a.begin() + 5000)));
    Bytes unknown = a;
    static constexpr std::uint8_t idcode[] = {0x41, 0x11, 0x10, 0x43};
    auto id = std::search(unknown.begin(), unknown.end(), std::begin(idcode), std::end(idcode));
    REQUIRE(id != unknown.end());
    *id = 0x99;
    CHECK_FALSE(ecp5_config_payload(unknown));
    Bytes noise(4000, 0x5A);
    CHECK_FALSE(ecp5_config_payload(noise));
    CHECK(bitstream_distance(noise, a).over == "file");
}
