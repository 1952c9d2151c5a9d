// The matmul accelerator as a C++ object: the Verilated RTL core, a bit-exact golden model of
// the same arithmetic and tiling, and a naive reference GEMM, all behind one interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::accel {

// Parameters of the systolic array; must match the Verilated model the backend was built from.
struct ArrayConfig {
    int size = 4;       // N: the array is N x N processing elements
    int width = 8;      // W: signed input width in bits
    int acc_width = 24; // AW: accumulator width; sums wrap around in two's complement
};

struct GemmStats {
    std::uint64_t gemms = 0;
    std::uint64_t macs = 0;                   // useful multiply-accumulates (M*K*N summed)
    std::uint64_t cycles = 0;                 // clock cycles the array ran
    std::uint64_t busy_mac_cycles = 0;        // PE-cycles doing a useful MAC
    double utilisation(int array_size) const; // busy_mac_cycles / (cycles * N * N)
};

// C[M x N] = A[M x K] * B[K x N], all row-major. Inputs must lie in [-2^(W-1), 2^(W-1)-1];
// outputs are the AW-bit wrapped sums, sign-extended to int32.
class GemmBackend {
public:
    virtual ~GemmBackend() = default;
    virtual std::string name() const = 0;
    virtual ArrayConfig config() const = 0;
    virtual void gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b,
                      std::int32_t* c) = 0;
    virtual GemmStats stats() const = 0;
    virtual void reset_stats() = 0;
};

// "rtl" (Verilated core), "golden" (bit-exact C++ model), "reference" (naive triple loop with
// the same wrap-around). Unknown names or array sizes without a Verilated model throw
// std::invalid_argument listing the valid choices.
std::unique_ptr<GemmBackend> make_backend(std::string_view name, const ArrayConfig& config = {});
std::vector<std::string> backend_names();

// Array sizes for which a Verilated model is compiled in.
std::vector<int> rtl_array_sizes();

// Wraps a value to AW bits and sign-extends it (the accumulator's two's-complement behaviour).
std::int32_t wrap_to_width(std::int64_t value, int acc_width);

} // namespace detlab::accel
