// The configuration payload of a Lattice ECP5 .bit (issue 27): the bits of every configuration
// frame and of every block RAM, without the file's header, the commands, the per-frame CRCs and
// the dummy bytes. The command layout is Project Trellis's (libtrellis Bitstream.cpp); the frame
// geometry per IDCODE is its devices.json (bits_per_frame, pad_bits_before_frame).
#include "analysis/distance/distance.h"

#include <algorithm>
#include <array>

namespace detlab::analysis {
namespace {

struct Ecp5Geometry {
    std::uint32_t idcode;
    std::size_t frames, bits_per_frame, pad_bits_before, ebr_blocks;
};

// Every ECP5 die (U, UM and UM5G variants share a die's frames); EBR counts from the ECP5
// family data sheet (12F 32, 25F 56, 45F 108, 85F 208).
constexpr std::array<Ecp5Geometry, 10> kGeometries{{
    {0x21111043, 7562, 592, 0, 32},    // LFE5U-12F
    {0x41111043, 7562, 592, 0, 56},    // LFE5U-25F
    {0x41112043, 9470, 846, 2, 108},   // LFE5U-45F
    {0x41113043, 13294, 1136, 0, 208}, // LFE5U-85F
    {0x01111043, 7562, 592, 0, 56},    // LFE5UM-25F
    {0x01112043, 9470, 846, 2, 108},   // LFE5UM-45F
    {0x01113043, 13294, 1136, 0, 208}, // LFE5UM-85F
    {0x81111043, 7562, 592, 0, 56},    // LFE5UM5G-25F
    {0x81112043, 9470, 846, 2, 108},   // LFE5UM5G-45F
    {0x81113043, 13294, 1136, 0, 208}, // LFE5UM5G-85F
}};

// One EBR holds 2048 9-bit words, sent as 9 bytes per 8 words.
constexpr std::size_t kEbrBytes = 2048 / 8 * 9;

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    bool has(std::size_t n) const { return pos_ + n <= bytes_.size(); }
    bool skip(std::size_t n) {
        if (!has(n))
            return false;
        pos_ += n;
        return true;
    }
    std::uint8_t byte() { return bytes_[pos_++]; }
    std::uint32_t word() {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i)
            value = (value << 8) | byte();
        return value;
    }
    std::span<const std::uint8_t> take(std::size_t n) {
        auto part = bytes_.subspan(pos_, n);
        pos_ += n;
        return part;
    }
    bool done() const { return pos_ >= bytes_.size(); }
    std::size_t pos() const { return pos_; }
    void seek(std::size_t pos) { pos_ = pos; }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

void set_bit(Bytes& out, std::size_t index) {
    out[index / 8] |= static_cast<std::uint8_t>(0x80u >> (index % 8));
}

// The payload being assembled: frame bits first (frame index x bits_per_frame, each frame's bit
// j where libtrellis puts cram(idx, j)), then each EBR's 9-byte groups at the EBR's number.
struct Payload {
    const Ecp5Geometry* geometry = nullptr;
    Bytes bits;
    std::size_t ebr_offset = 0; // bytes
    bool frames_seen = false;

    void start(const Ecp5Geometry& g) {
        geometry = &g;
        std::size_t frame_bits = g.frames * g.bits_per_frame;
        ebr_offset = (frame_bits + 7) / 8;
        bits.assign(ebr_offset + g.ebr_blocks * kEbrBytes, 0);
    }
};

// LSC_PROG_INCR_RTI: params (CRC flags, dummy byte count), frame count, then the frames in
// reverse index order, each followed by its CRC (when checked per frame) and dummy bytes.
bool read_frames(Reader& in, Payload& p) {
    if (!p.geometry || !in.has(3))
        return false;
    const auto& g = *p.geometry;
    std::uint8_t flags = in.byte();
    std::size_t count = static_cast<std::size_t>(in.byte()) << 8;
    count |= in.byte();
    bool check_crc = flags & 0x80u;
    bool crc_each = check_crc && !(flags & 0x40u);
    std::size_t dummy = flags & 0x0Fu;
    std::size_t frame_bytes = (g.bits_per_frame + g.pad_bits_before) / 8;
    if (count != g.frames)
        return false;
    for (std::size_t i = 0; i < count; ++i) {
        if (!in.has(frame_bytes))
            return false;
        auto frame = in.take(frame_bytes);
        std::size_t index = g.frames - 1 - i;
        for (std::size_t j = 0; j < g.bits_per_frame; ++j)
            if ((frame[frame_bytes - 1 - j / 8] >> (j % 8)) & 1u)
                set_bit(p.bits, index * g.bits_per_frame + j);
        if ((crc_each || (check_crc && i + 1 == count)) && !in.skip(2))
            return false;
        if (!in.skip(dummy))
            return false;
    }
    p.frames_seen = true;
    return true;
}

// LSC_EBR_WRITE after LSC_EBR_ADDRESS: 9-byte groups (8 words) from the addressed word on,
// continuing into the next EBR at 2048 words; a CRC closes the command.
bool read_ebr(Reader& in, Payload& p, std::size_t& ebr, std::size_t& word) {
    if (!p.geometry || !in.has(3))
        return false;
    in.byte();
    std::size_t count = static_cast<std::size_t>(in.byte()) << 8;
    count |= in.byte();
    for (std::size_t i = 0; i < count; ++i) {
        if (word >= 2048) {
            word = 0;
            ++ebr;
        }
        if (ebr >= p.geometry->ebr_blocks || word % 8 != 0 || !in.has(9))
            return false;
        auto group = in.take(9);
        std::copy(group.begin(), group.end(),
                  p.bits.begin() +
                      static_cast<std::ptrdiff_t>(p.ebr_offset + ebr * kEbrBytes + word / 8 * 9));
        word += 8;
    }
    return in.skip(2);
}

} // namespace

std::optional<Bytes> ecp5_config_payload(std::span<const std::uint8_t> bit) {
    static constexpr std::uint8_t preamble[] = {0xFF, 0xFF, 0xBD, 0xB3};
    auto start = std::search(bit.begin(), bit.end(), std::begin(preamble), std::end(preamble));
    if (start == bit.end())
        return std::nullopt;
    Reader in(bit);
    in.seek(static_cast<std::size_t>(start - bit.begin()) + 4);
    Payload p;
    std::size_t ebr = 0, word = 0;
    while (!in.done()) {
        std::uint8_t command = in.byte();
        bool ok = true;
        switch (command) {
        case 0xFF: // dummy
            break;
        case 0x3B: // LSC_RESET_CRC
        case 0x46: // LSC_INIT_ADDRESS
        case 0xCE: // ISC_PROGRAM_SECURITY
        case 0x79: // SPI_MODE
            ok = in.skip(3);
            break;
        case 0x5E: // ISC_PROGRAM_DONE
            ok = in.skip(3);
            break;
        case 0xE2: { // VERIFY_ID: the die, hence the frame geometry
            if (!in.skip(3) || !in.has(4))
                return std::nullopt;
            std::uint32_t id = in.word();
            auto g = std::find_if(kGeometries.begin(), kGeometries.end(),
                                  [&](const Ecp5Geometry& x) { return x.idcode == id; });
            if (g == kGeometries.end())
                return std::nullopt;
            p.start(*g);
            break;
        }
        case 0x22: // LSC_PROG_CNTRL0
        case 0xA2: // LSC_PROG_SED_CRC
        case 0x7E: // JUMP
            ok = in.skip(7);
            break;
        case 0xC2: { // ISC_PROGRAM_USERCODE, with a CRC when its flag says so
            if (!in.has(7))
                return std::nullopt;
            bool crc = in.byte() & 0x80u;
            ok = in.skip(6) && (!crc || in.skip(2));
            break;
        }
        case 0x82: // LSC_PROG_INCR_RTI: the frames
            ok = read_frames(in, p);
            break;
        case 0xF6: { // LSC_EBR_ADDRESS
            if (!p.geometry || !in.skip(3) || !in.has(4))
                return std::nullopt;
            std::uint32_t address = in.word();
            ebr = (address >> 11) & 0x3FFu;
            word = address & 0x7FFu;
            break;
        }
        case 0xB2: // LSC_EBR_WRITE
            ok = read_ebr(in, p, ebr, word);
            break;
        default: // compressed frames (0xB8, 0x02) and anything unknown: not read here
            return std::nullopt;
        }
        if (!ok)
            return std::nullopt;
    }
    return p.frames_seen ? std::optional<Bytes>(std::move(p.bits)) : std::nullopt;
}

std::optional<ConfigPayload> config_payload(std::span<const std::uint8_t> bitstream) {
    if (auto ice40 = ice40_config_payload(bitstream))
        return ConfigPayload{std::move(*ice40), "cram+bram"};
    if (auto ecp5 = ecp5_config_payload(bitstream))
        return ConfigPayload{std::move(*ecp5), "frames+ebr"};
    if (auto gowin = gowin_config_payload(bitstream)) // issue 27: family
        return ConfigPayload{std::move(*gowin), "frames"};
    return std::nullopt;
}

} // namespace detlab::analysis
