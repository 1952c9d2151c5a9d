// A reader of NumPy's .npy format with every size checked before anything is allocated: a
// program's outputs are untrusted, so a header that claims a billion elements costs nothing.
#include "harness/program/program.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace detlab::program {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 65536; // numpy writes a few hundred
constexpr std::size_t kMaxRank = 8;
constexpr std::size_t kPreambleV1 = 10; // magic (6), version (2), length (2)
constexpr std::size_t kPreambleV2 = 12; // length (4)

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
    throw std::runtime_error(origin + ": " + problem);
}

// The header's Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderText {
public:
    HeaderText(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

    NpyHeader parse() {
        NpyHeader header;
        bool descr = false, order = false, shape = false;
        expect('{');
        while (!peek('}')) {
            std::string key = quoted();
            expect(':');
            if (key == "descr") {
                read_descr(quoted(), header);
                descr = true;
            } else if (key == "fortran_order") {
                header.fortran_order = boolean();
                order = true;
            } else if (key == "shape") {
                header.shape = tuple();
                shape = true;
            } else {
                fail(origin_, "npy header: unknown key '" + key + "'");
            }
            if (!peek('}'))
                expect(',');
        }
        expect('}');
        if (!descr || !order || !shape)
            fail(origin_, "npy header: needs descr, fortran_order and shape");
        return header;
    }

private:
    void skip_space() {
        while (at_ < text_.size() &&
               (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\t'))
            ++at_;
    }
    bool peek(char c) {
        skip_space();
        return at_ < text_.size() && text_[at_] == c;
    }
    void expect(char c) {
        if (!peek(c))
            fail(origin_,
                 std::string("npy header: expected '") + c + "' at byte " + std::to_string(at_));
        ++at_;
    }
    std::string quoted() {
        skip_space();
        if (at_ >= text_.size() || (text_[at_] != '\'' && text_[at_] != '"'))
            fail(origin_, "npy header: expected a quoted name at byte " + std::to_string(at_));
        char quote = text_[at_++];
        auto end = text_.find(quote, at_);
        if (end == std::string_view::npos || end - at_ > 64)
            fail(origin_, "npy header: unterminated name");
        std::string value(text_.substr(at_, end - at_));
        at_ = end + 1;
        return value;
    }
    bool boolean() {
        skip_space();
        for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}})
            if (text_.substr(at_, std::strlen(word)) == word) {
                at_ += std::strlen(word);
                return value;
            }
        fail(origin_, "npy header: fortran_order must be True or False");
    }
    std::vector<std::uint64_t> tuple() {
        std::vector<std::uint64_t> dims;
        expect('(');
        while (!peek(')')) {
            skip_space();
            std::uint64_t value = 0;
            std::size_t digits = 0;
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
                if (++digits > 18)
                    fail(origin_, "npy header: a dimension is too large");
                value = value * 10 + std::uint64_t(text_[at_++] - '0');
            }
            if (digits == 0)
                fail(origin_, "npy header: expected a dimension at byte " + std::to_string(at_));
            if (dims.size() == kMaxRank)
                fail(origin_, "npy header: rank above " + std::to_string(kMaxRank));
            dims.push_back(value);
            if (!peek(')'))
                expect(',');
        }
        expect(')');
        return dims;
    }
    void read_descr(const std::string& descr, NpyHeader& header) {
        // '<f4', '|u1', '|b1'; '=' is native (little-endian here), '>' is refused.
        if (descr.size() < 3 || descr.size() > 3 ||
            (descr[0] != '<' && descr[0] != '|' && descr[0] != '='))
            fail(origin_, "npy header: unsupported dtype '" + descr +
                              "' (little-endian float, int, uint or bool only)");
        header.kind = descr[1];
        header.item_size = descr[2] - '0';
        bool valid = false;
        if (header.kind == 'f')
            valid = header.item_size == 4 || header.item_size == 8;
        else if (header.kind == 'i' || header.kind == 'u')
            valid = header.item_size == 1 || header.item_size == 2 || header.item_size == 4 ||
                    header.item_size == 8;
        else if (header.kind == 'b')
            valid = header.item_size == 1;
        if (!valid)
            fail(origin_, "npy header: unsupported dtype '" + descr + "'");
        if (header.item_size > 1 && descr[0] == '|')
            fail(origin_, "npy header: dtype '" + descr + "' has no byte order");
    }

    std::string_view text_;
    const std::string& origin_;
    std::size_t at_ = 0;
};

std::uint32_t little32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
}

// Opens `path`, parses its header and checks that the file holds exactly the elements the
// header declares, no more than `max_elements`; leaves the stream at the first element.
NpyHeader open_checked(std::ifstream& in, const std::filesystem::path& path,
                       std::uint64_t max_elements) {
    const std::string origin = path.string();
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    if (error)
        fail(origin, "cannot read: " + error.message());
    in.open(path, std::ios::binary);
    if (!in)
        fail(origin, "cannot open");
    std::vector<std::uint8_t> prefix(
        static_cast<std::size_t>(std::min<std::uint64_t>(size, kPreambleV2)));
    in.read(reinterpret_cast<char*>(prefix.data()), static_cast<std::streamsize>(prefix.size()));
    if (prefix.size() < kPreambleV1 || std::memcmp(prefix.data(), "\x93NUMPY", 6) != 0)
        fail(origin, "not a .npy file (no \\x93NUMPY magic)");
    std::uint64_t header_end = prefix[6] == 1 ? kPreambleV1 + (prefix[8] | prefix[9] << 8)
                               : prefix.size() >= kPreambleV2 ? kPreambleV2 + little32(&prefix[8])
                                                              : 0;
    if (header_end == 0 || header_end - kPreambleV1 > kMaxHeaderBytes || header_end > size)
        fail(origin, "npy header: length beyond the file or above " +
                         std::to_string(kMaxHeaderBytes) + " bytes");
    prefix.resize(static_cast<std::size_t>(header_end));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(prefix.data()), static_cast<std::streamsize>(prefix.size()));
    NpyHeader header = parse_npy_header(prefix, origin);
    if (header.fortran_order && header.shape.size() > 1)
        fail(origin, "fortran_order True is not supported: write C order "
                     "(numpy.ascontiguousarray)");
    std::uint64_t elements = header.elements();
    if (elements > max_elements)
        fail(origin, std::to_string(elements) + " elements, more than the contract's limit of " +
                         std::to_string(max_elements));
    if (size - header.data_offset != elements * std::uint64_t(header.item_size))
        fail(origin, "holds " + std::to_string(size - header.data_offset) +
                         " bytes of data where its header declares " + std::to_string(elements) +
                         " elements of " + std::to_string(header.item_size) + " bytes");
    return header;
}

template <typename T>
T load_little(const std::uint8_t* p) {
    T value;
    std::memcpy(&value, p, sizeof value);
    static_assert(std::endian::native == std::endian::little);
    return value;
}

} // namespace

std::uint64_t NpyHeader::elements() const {
    std::uint64_t count = 1;
    for (auto dim : shape) {
        if (dim != 0 && count > std::numeric_limits<std::uint64_t>::max() / 16 / dim)
            throw std::runtime_error("npy header: shape's element count overflows");
        count *= dim;
    }
    return count;
}

NpyHeader parse_npy_header(std::span<const std::uint8_t> prefix, const std::string& origin) {
    if (prefix.size() < kPreambleV1 || std::memcmp(prefix.data(), "\x93NUMPY", 6) != 0)
        fail(origin, "not a .npy file (no \\x93NUMPY magic)");
    int major = prefix[6];
    if (major < 1 || major > 3)
        fail(origin, "npy format version " + std::to_string(major) + " is not supported");
    std::size_t preamble = major == 1 ? kPreambleV1 : kPreambleV2;
    if (prefix.size() < preamble)
        fail(origin, "npy header cut short");
    std::uint64_t length = major == 1 ? std::uint64_t(prefix[8] | prefix[9] << 8)
                                      : std::uint64_t(little32(&prefix[8]));
    if (length > kMaxHeaderBytes || preamble + length > prefix.size())
        fail(origin, "npy header: length beyond the file or above " +
                         std::to_string(kMaxHeaderBytes) + " bytes");
    std::string_view text(reinterpret_cast<const char*>(prefix.data() + preamble),
                          static_cast<std::size_t>(length));
    NpyHeader header = HeaderText(text, origin).parse();
    header.data_offset = preamble + length;
    try {
        (void)header.elements();
    } catch (const std::runtime_error& overflow) {
        fail(origin, overflow.what());
    }
    return header;
}

std::vector<float> read_npy_float32(const std::filesystem::path& path, std::uint64_t max_elements,
                                    NpyHeader* header_out) {
    std::ifstream in;
    NpyHeader header = open_checked(in, path, max_elements);
    if (header.kind != 'f' || header.item_size != 4)
        fail(path.string(), "dtype must be float32 ('<f4'), found '" + std::string(1, header.kind) +
                                std::to_string(header.item_size) + "'");
    std::vector<float> values(static_cast<std::size_t>(header.elements()));
    in.read(reinterpret_cast<char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
    if (!in)
        fail(path.string(), "cut short while reading");
    if (header_out)
        *header_out = header;
    return values;
}

std::vector<std::int64_t> read_npy_integers(const std::filesystem::path& path,
                                            std::uint64_t max_elements, NpyHeader* header_out) {
    std::ifstream in;
    NpyHeader header = open_checked(in, path, max_elements);
    if (header.kind == 'f')
        fail(path.string(), "dtype must be an integer type, found float");
    auto count = static_cast<std::size_t>(header.elements());
    std::vector<std::uint8_t> raw(count * std::size_t(header.item_size));
    in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
    if (!in)
        fail(path.string(), "cut short while reading");
    std::vector<std::int64_t> values(count);
    bool is_signed = header.kind == 'i';
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint8_t* p = raw.data() + i * std::size_t(header.item_size);
        switch (header.item_size) {
        case 1:
            values[i] = is_signed ? load_little<std::int8_t>(p) : *p;
            break;
        case 2:
            values[i] = is_signed ? load_little<std::int16_t>(p) : load_little<std::uint16_t>(p);
            break;
        case 4:
            values[i] = is_signed ? load_little<std::int32_t>(p) : load_little<std::uint32_t>(p);
            break;
        default: {
            auto value = load_little<std::uint64_t>(p);
            if (!is_signed && value > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
                fail(path.string(), "element " + std::to_string(i) + " is beyond int64");
            values[i] = static_cast<std::int64_t>(value);
        }
        }
    }
    if (header_out)
        *header_out = header;
    return values;
}

} // namespace detlab::program
