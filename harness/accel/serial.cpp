// Host side of the board top's SPI protocol: command frames, testbench scripts, decoding.
#include "harness/accel/accel.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace detlab::accel::serial {
namespace {

void check_k(int k) {
    if (k < 1 || k > max_k)
        throw std::invalid_argument("serial job: K must be 1.." + std::to_string(max_k) + ", not " +
                                    std::to_string(k));
}

// Operands go out one k at a time, lane 0 first: A[0][k]..A[N-1][k] or B[k][0]..B[k][N-1].
Frame operand_frame(std::uint8_t opcode, int size, int k, const std::int8_t* values,
                    std::ptrdiff_t k_stride, std::ptrdiff_t lane_stride) {
    check_k(k);
    Frame frame{opcode};
    for (int kk = 0; kk < k; ++kk)
        for (int lane = 0; lane < size; ++lane)
            frame.push_back(static_cast<std::uint8_t>(values[kk * k_stride + lane * lane_stride]));
    return frame;
}

} // namespace

int result_bytes(const ArrayConfig& config) {
    return (config.acc_width + 7) / 8;
}

Frame write_a_frame(const ArrayConfig& config, int k, const std::int8_t* a) {
    return operand_frame(op_write_a, config.size, k, a, 1, k);
}

Frame write_b_frame(const ArrayConfig& config, int k, const std::int8_t* b) {
    return operand_frame(op_write_b, config.size, k, b, config.size, 1);
}

Frame run_frame(int k) {
    check_k(k);
    return {op_run, static_cast<std::uint8_t>(k - 1)};
}

Frame read_c_frame(const ArrayConfig& config) {
    Frame frame(1 + static_cast<std::size_t>(config.size * config.size * result_bytes(config)), 0);
    frame[0] = op_read_c;
    return frame;
}

int run_wait_cycles(const ArrayConfig& config, int k) {
    // K memory reads, 2N-1 cycles through the array, a few register stages, and margin.
    return k + 2 * config.size + 16;
}

void Script::frame(const Frame& bytes) {
    for (auto byte : bytes)
        words_.push_back(byte);
    words_.push_back(0x0100);
    frames_.push_back(bytes);
}

void Script::wait(int clk_cycles) {
    while (clk_cycles > 0) {
        int chunk = std::min(clk_cycles, 0xFFF);
        words_.push_back(static_cast<std::uint16_t>(0x1000 | chunk));
        clk_cycles -= chunk;
    }
}

void Script::tile_job(const ArrayConfig& config, int k, const std::int8_t* a,
                      const std::int8_t* b) {
    frame(write_a_frame(config, k, a));
    frame(write_b_frame(config, k, b));
    frame(run_frame(k));
    wait(run_wait_cycles(config, k));
    frame(read_c_frame(config));
}

std::string Script::text() const {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve((words_.size() + 1) * 5);
    for (auto word : words_) {
        for (int shift = 12; shift >= 0; shift -= 4)
            out += digits[(word >> shift) & 0xF];
        out += '\n';
    }
    out += "ffff\n";
    return out;
}

std::vector<std::uint8_t> parse_miso_text(std::string_view text) {
    std::vector<std::uint8_t> bytes;
    std::size_t pos = 0;
    int line = 1;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view token = text.substr(pos, end - pos);
        if (!token.empty()) {
            unsigned value = 0;
            auto [ptr, error] =
                std::from_chars(token.data(), token.data() + token.size(), value, 16);
            if (error != std::errc{} || ptr != token.data() + token.size() || value > 0xFF)
                throw std::runtime_error("serial_tb output line " + std::to_string(line) +
                                         ": not a hex byte: '" + std::string(token) + "'");
            bytes.push_back(static_cast<std::uint8_t>(value));
        }
        pos = end + 1;
        ++line;
    }
    return bytes;
}

std::vector<Frame> split_responses(const Script& script, std::span<const std::uint8_t> miso) {
    std::size_t expected = 0;
    for (const auto& frame : script.frames())
        expected += frame.size();
    if (miso.size() != expected)
        throw std::runtime_error("serial response has " + std::to_string(miso.size()) +
                                 " bytes, the script sent " + std::to_string(expected));
    std::vector<Frame> responses;
    std::size_t offset = 0;
    for (const auto& frame : script.frames()) {
        responses.emplace_back(miso.begin() + static_cast<std::ptrdiff_t>(offset),
                               miso.begin() + static_cast<std::ptrdiff_t>(offset + frame.size()));
        offset += frame.size();
    }
    return responses;
}

std::vector<std::int32_t> decode_read_c(const ArrayConfig& config, const Frame& response) {
    const int bytes = result_bytes(config), count = config.size * config.size;
    if (response.size() != 1 + static_cast<std::size_t>(count * bytes))
        throw std::runtime_error("READ_C response has " + std::to_string(response.size()) +
                                 " bytes, expected " + std::to_string(1 + count * bytes));
    std::uint8_t status = response[0];
    if ((status & status_busy) || !(status & status_done) || (status & 0x3F) != config.size) {
        char text[96];
        std::snprintf(text, sizeof text, "READ_C status byte 0x%02x is not 'done, N=%d' (0x%02x)",
                      status, config.size, status_done | config.size);
        throw std::runtime_error(text);
    }
    std::vector<std::int32_t> values(static_cast<std::size_t>(count));
    for (int e = 0; e < count; ++e) {
        std::int64_t raw = 0;
        for (int i = 0; i < bytes; ++i)
            raw = (raw << 8) | response[static_cast<std::size_t>(1 + e * bytes + i)];
        values[static_cast<std::size_t>(e)] = wrap_to_width(raw, config.acc_width);
    }
    return values;
}

std::vector<std::vector<std::int32_t>> decode_results(const ArrayConfig& config,
                                                      const Script& script,
                                                      std::span<const std::uint8_t> miso) {
    auto responses = split_responses(script, miso);
    std::vector<std::vector<std::int32_t>> results;
    for (std::size_t f = 0; f < responses.size(); ++f)
        if (script.frames()[f][0] == op_read_c)
            results.push_back(decode_read_c(config, responses[f]));
    return results;
}

} // namespace detlab::accel::serial
