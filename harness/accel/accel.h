// The matmul accelerator as a C++ object: the Verilated RTL core, a bit-exact golden model of
// the same arithmetic and tiling, and a naive reference GEMM, all behind one interface.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
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

// "rtl" (Verilated core), "golden" (oneDNN's int8 GEMM, int32 sums wrapped to AW bits: exact
// modulo 2^AW, so bit-exact with the array, and fast), "tiled" (the array's output-stationary
// tiling in plain C++, the model the RTL is compared with), "reference" (naive triple loop with
// the same wrap-around). Unknown names or array sizes without a Verilated model throw
// std::invalid_argument listing the valid choices.
std::unique_ptr<GemmBackend> make_backend(std::string_view name, const ArrayConfig& config = {});
std::vector<std::string> backend_names();

// The library behind "golden", its version and the instruction set it chose on this CPU.
std::string golden_library();

// Array sizes for which a Verilated model is compiled in.
std::vector<int> rtl_array_sizes();

// Wraps a value to AW bits and sign-extends it (the accumulator's two's-complement behaviour).
std::int32_t wrap_to_width(std::int64_t value, int acc_width);

// Clock cycles the array needs for an m x k x n GEMM: ceil(m/N)*ceil(n/N) tiles issued back to
// back, each taking max(k, 2N-1) cycles, plus 2N-1 cycles (input register and the skew through
// the array) until the last tile's result is complete. The rtl backend counts exactly this
// many; golden reports the same number.
std::uint64_t gemm_cycles(const ArrayConfig& config, int m, int k, int n);

// ---- Throughput measurement (`detlab bench accel`) ----
struct BenchResult {
    std::string backend;
    ArrayConfig config;
    int m = 0, k = 0, n = 0;
    int repeats = 0;         // GEMMs run
    double wall_seconds = 0; // wall time of those GEMMs (monotonic clock)
    double cpu_seconds = 0;  // CPU time of this thread: the rates are per second on one core
    GemmStats stats;         // summed over the repeats
    double cycles_per_second() const { return per_cpu_second(stats.cycles); }
    double macs_per_second() const { return per_cpu_second(stats.macs); }
    double per_cpu_second(std::uint64_t count) const {
        return cpu_seconds > 0 ? static_cast<double>(count) / cpu_seconds : 0;
    }
};

// Runs random m x k x n GEMMs (fixed seed) on `backend` after one untimed warm-up GEMM: exactly
// `fixed_gemms` of them if that is positive (a repeatable amount of work, e.g. for callgrind),
// otherwise until at least `min_seconds` of CPU time passed.
BenchResult benchmark(GemmBackend& backend, int m, int k, int n, double min_seconds,
                      int fixed_gemms = 0);

// The targets of the default 4x4 core (issue 3) and whether rounds of its benchmark meet them:
// utilisation of the median round, simulated cycles per CPU second of the median round (the
// slowest is reported beside it).
inline constexpr double kTargetUtilisation = 0.90;
inline constexpr double kTargetCyclesPerSecond = 15e6;
struct TargetCheck {
    double utilisation = 0, median_cycles_per_second = 0, slowest_cycles_per_second = 0;
    bool utilisation_met = false, rate_met = false;
};
// `rounds`: one BenchResult per round of one backend (any order, at least one).
TargetCheck check_targets(std::vector<BenchResult> rounds);

// The CPU's peak int8 MAC rate on one core (a stream of VNNI dot products, peak.cpp), measured
// for at least `min_seconds` of CPU time (the best of its rounds): the limit beside the golden
// backend's rate.
struct PeakRate {
    double macs_per_second = 0; // 0: not measured (no VNNI instruction on this CPU)
    std::string instruction;
};
PeakRate peak_int8_rate(double min_seconds);

// ---- The board top's serial protocol (rtl/detlab_top.v, docs/accelerator.md) ----
// SPI mode 0, MSB first. Every frame (cs_n low .. high) starts with an opcode byte; the byte
// the target sends back during the opcode is the status byte.
namespace serial {

inline constexpr std::uint8_t op_write_a = 0x01; // then K*N bytes: A[0][k]..A[N-1][k] per k
inline constexpr std::uint8_t op_write_b = 0x02; // then K*N bytes: B[k][0]..B[k][N-1] per k
inline constexpr std::uint8_t op_run = 0x03;     // then one byte: K-1
inline constexpr std::uint8_t op_read_c = 0x04;  // then N*N*bytes_per_result dummy bytes
inline constexpr int max_k = 256;
inline constexpr std::uint8_t status_busy = 0x80;
inline constexpr std::uint8_t status_done = 0x40; // a run finished; C is readable
// Status bits 5..0 hold N, so a host can check which board top it talks to.

// Bytes per result on the wire: AW bits sign-extended to whole bytes, sent MSB first.
int result_bytes(const ArrayConfig& config);

using Frame = std::vector<std::uint8_t>;
// A is N x K and B is K x N, row-major; 1 <= K <= max_k.
Frame write_a_frame(const ArrayConfig& config, int k, const std::int8_t* a);
Frame write_b_frame(const ArrayConfig& config, int k, const std::int8_t* b);
Frame run_frame(int k);
Frame read_c_frame(const ArrayConfig& config);

// Clock cycles after the RUN frame ends by which C is certainly ready (with margin).
int run_wait_cycles(const ArrayConfig& config, int k);

// A stimulus for rtl/tb/serial_tb.v: one 16-bit word per line (see the testbench header).
class Script {
public:
    void frame(const Frame& bytes);
    void wait(int clk_cycles);
    // Appends the frames of one tile job: write A, write B, run, wait, read C.
    void tile_job(const ArrayConfig& config, int k, const std::int8_t* a, const std::int8_t* b);
    std::string text() const; // the file contents, ending with the FFFF end marker
    const std::vector<Frame>& frames() const { return frames_; }

private:
    std::vector<std::uint16_t> words_;
    std::vector<Frame> frames_;
};

// Parses the testbench's output file (two hex digits per line).
std::vector<std::uint8_t> parse_miso_text(std::string_view text);

// Splits the bytes read back during a script into one response per frame (same lengths as
// the frames sent); throws std::runtime_error when the byte count does not match.
std::vector<Frame> split_responses(const Script& script, std::span<const std::uint8_t> miso);

// Decodes the response to a READ_C frame into N*N row-major values (sign-extended AW bits).
// Throws std::runtime_error when the status byte says busy, not done, or another N.
std::vector<std::int32_t> decode_read_c(const ArrayConfig& config, const Frame& response);

// Every C the script read, in order, each N*N values.
std::vector<std::vector<std::int32_t>>
decode_results(const ArrayConfig& config, const Script& script, std::span<const std::uint8_t> miso);

} // namespace serial

} // namespace detlab::accel
