// Backend selection, validation and the arithmetic facts all backends share.
#include "harness/accel/accel.h"

#include "harness/accel/backends.h"

#include <algorithm>
#include <stdexcept>

namespace detlab::accel {

double GemmStats::utilisation(int array_size) const {
    if (cycles == 0 || array_size <= 0)
        return 0.0;
    auto pe_cycles = static_cast<double>(cycles) * array_size * array_size;
    return static_cast<double>(busy_mac_cycles) / pe_cycles;
}

std::int32_t wrap_to_width(std::int64_t value, int acc_width) {
    if (acc_width < 1 || acc_width > 32)
        throw std::invalid_argument("accumulator width must be 1..32, not " +
                                    std::to_string(acc_width));
    auto bits = static_cast<std::uint64_t>(value) & ((std::uint64_t{1} << acc_width) - 1);
    auto sign = std::uint64_t{1} << (acc_width - 1);
    // (bits ^ sign) - sign sign-extends an acc_width-bit two's-complement number.
    return static_cast<std::int32_t>(static_cast<std::int64_t>(bits ^ sign) -
                                     static_cast<std::int64_t>(sign));
}

std::uint64_t gemm_cycles(const ArrayConfig& config, int m, int k, int n) {
    if (m <= 0 || k <= 0 || n <= 0)
        return 0;
    auto size = static_cast<std::uint64_t>(config.size);
    auto tiles = static_cast<std::uint64_t>(detail::tiles_along(m, config.size)) *
                 static_cast<std::uint64_t>(detail::tiles_along(n, config.size));
    auto slot = std::max<std::uint64_t>(static_cast<std::uint64_t>(k), 2 * size - 1);
    return (tiles - 1) * slot + static_cast<std::uint64_t>(k) + 2 * size - 1;
}

std::vector<std::string> backend_names() {
    return {"rtl", "golden", "tiled", "reference"};
}

std::string golden_library() {
    return detail::golden_library();
}

std::vector<int> rtl_array_sizes() {
    return {2, 4};
}

namespace detail {

void check_config(const ArrayConfig& config) {
    if (config.size < 1 || config.size > 64)
        throw std::invalid_argument("array size must be 1..64, not " + std::to_string(config.size));
    if (config.width < 2 || config.width > 8)
        throw std::invalid_argument("input width must be 2..8 bits (int8 operands), not " +
                                    std::to_string(config.width));
    if (config.acc_width <= 2 * config.width || config.acc_width > 32)
        throw std::invalid_argument("accumulator width must be more than twice the input "
                                    "width and at most 32, not " +
                                    std::to_string(config.acc_width));
}

void check_gemm(const ArrayConfig& config, int m, int k, int n, const std::int8_t* a,
                const std::int8_t* b) {
    if (m < 0 || k < 0 || n < 0)
        throw std::invalid_argument("GEMM sizes must not be negative");
    if (config.width == 8)
        return; // every int8 fits
    int lo = -(1 << (config.width - 1)), hi = (1 << (config.width - 1)) - 1;
    auto in_range = [&](std::int8_t v) {
        return v >= lo && v <= hi;
    };
    auto a_count = static_cast<std::size_t>(m) * static_cast<std::size_t>(k);
    auto b_count = static_cast<std::size_t>(k) * static_cast<std::size_t>(n);
    if (!std::all_of(a, a + a_count, in_range) || !std::all_of(b, b + b_count, in_range))
        throw std::invalid_argument("GEMM input outside the " + std::to_string(config.width) +
                                    "-bit signed range");
}

} // namespace detail

std::unique_ptr<GemmBackend> make_backend(std::string_view name, const ArrayConfig& config) {
    detail::check_config(config);
    if (name == "golden")
        return detail::make_golden(config);
    if (name == "tiled")
        return detail::make_tiled(config);
    if (name == "reference")
        return detail::make_reference(config);
    if (name == "rtl") {
        if (auto backend = detail::make_rtl(config))
            return backend;
        throw std::invalid_argument(
            "no Verilated model for a " + std::to_string(config.size) + "x" +
            std::to_string(config.size) + " array with W=" + std::to_string(config.width) +
            ", AW=" + std::to_string(config.acc_width) + " (built: 2x2 and 4x4 with W=8, AW=24)");
    }
    throw std::invalid_argument("unknown accelerator backend '" + std::string(name) +
                                "' (valid: rtl, golden, tiled, reference)");
}

} // namespace detlab::accel
