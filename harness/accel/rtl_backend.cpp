// The rtl backend: drives the Verilated systolic array (rtl/systolic_array.v) one clock edge at
// a time, streaming the tiles of a GEMM back to back.
#include "harness/accel/backends.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wpedantic"
#include "Vsystolic_n2.h"
#include "Vsystolic_n4.h"
#include "verilated.h"
#pragma GCC diagnostic pop

namespace detlab::accel::detail {
namespace {

template <class Model, int Size>
class RtlBackend final : public CountingBackend {
public:
    explicit RtlBackend(const ArrayConfig& config)
        : CountingBackend(config), context_(std::make_unique<VerilatedContext>()),
          model_(std::make_unique<Model>(context_.get(), "array")) {
        reset();
    }
    ~RtlBackend() override { model_->final(); }

    std::string name() const override { return "rtl"; }

    void gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b,
              std::int32_t* c) override {
        begin_gemm(m, k, n, a, b);
        stats_.busy_mac_cycles = stats_.macs; // each useful MAC is one PE-cycle
        if (m == 0 || n == 0)
            return;
        if (k == 0) {
            std::fill(c, c + static_cast<std::ptrdiff_t>(m) * n, 0);
            return;
        }
        pack_operands(m, k, n, a, b);
        stream_tiles(m, k, n, c);
    }

private:
    using OperandWord = std::remove_reference_t<decltype(std::declval<Model&>().a_in)>;
    static constexpr int lane_bits = 8;
    static constexpr int min_slot = 2 * Size - 1; // see rtl/systolic_array.v

    // One clock cycle. Verilator 5 only sees an edge between two eval() calls, so the model
    // is evaluated with clk low (in reset()) before the first rising edge.
    void tick() {
        model_->clk = 1;
        model_->eval();
        model_->clk = 0;
        model_->eval();
    }

    void reset() {
        model_->clk = 0;
        model_->rst = 1;
        model_->in_first = 0;
        model_->in_last = 0;
        model_->a_in = 0;
        model_->b_in = 0;
        model_->eval();
        for (int i = 0; i < 2 * Size + 2; ++i)
            tick();
        model_->rst = 0;
        tick();
    }

    // Column k of every N-row band of A and row k of every N-column band of B as the words
    // the array takes per cycle (lane i in bits [8i, 8i+8)); rows beyond the matrix are 0.
    void pack_operands(int m, int k, int n, const std::int8_t* a, const std::int8_t* b) {
        int bands_a = tiles_along(m, Size), bands_b = tiles_along(n, Size);
        a_words_.assign(static_cast<std::size_t>(bands_a) * k, 0);
        b_words_.assign(static_cast<std::size_t>(bands_b) * k, 0);
        for (int row = 0; row < m; ++row)
            for (int kk = 0; kk < k; ++kk)
                a_words_[static_cast<std::size_t>((row / Size) * k + kk)] |=
                    lane(a[static_cast<std::ptrdiff_t>(row) * k + kk], row % Size);
        for (int kk = 0; kk < k; ++kk)
            for (int col = 0; col < n; ++col)
                b_words_[static_cast<std::size_t>((col / Size) * k + kk)] |=
                    lane(b[static_cast<std::ptrdiff_t>(kk) * n + col], col % Size);
    }

    static std::uint32_t lane(std::int8_t value, int index) {
        return static_cast<std::uint32_t>(static_cast<std::uint8_t>(value)) << (lane_bits * index);
    }

    // Tile t covers rows (t / bands_b) * N and columns (t % bands_b) * N. A tile takes K
    // cycles, padded with idle cycles to 2N-1; results arrive in tile order.
    void stream_tiles(int m, int k, int n, std::int32_t* c) {
        int bands_b = tiles_along(n, Size);
        int tiles = tiles_along(m, Size) * bands_b;
        int slot = std::max(k, min_slot);
        int collected = 0;
        for (int t = 0; t < tiles; ++t) {
            const std::uint32_t* a_band = &a_words_[static_cast<std::size_t>((t / bands_b) * k)];
            const std::uint32_t* b_band = &b_words_[static_cast<std::size_t>((t % bands_b) * k)];
            for (int kk = 0; kk < slot; ++kk) {
                bool issue = kk < k;
                model_->in_first = issue && kk == 0;
                model_->in_last = issue && kk == k - 1;
                model_->a_in = issue ? static_cast<OperandWord>(a_band[kk]) : OperandWord{0};
                model_->b_in = issue ? static_cast<OperandWord>(b_band[kk]) : OperandWord{0};
                tick();
                ++stats_.cycles;
                if (model_->result_valid)
                    collect(collected++, m, n, c);
            }
        }
        model_->in_first = 0;
        model_->in_last = 0;
        for (int guard = 0; collected < tiles; ++guard) {
            if (guard > 4 * Size + 4)
                throw std::runtime_error("accelerator model: results missing after drain");
            tick();
            ++stats_.cycles;
            if (model_->result_valid)
                collect(collected++, m, n, c);
        }
    }

    // Copies the valid part of tile t out of the packed result port (C[i][j] at bit
    // (i*N + j) * AW), sign-extending each AW-bit value.
    void collect(int t, int m, int n, std::int32_t* c) {
        int bands_b = tiles_along(n, Size);
        int row0 = (t / bands_b) * Size, col0 = (t % bands_b) * Size;
        int rows = std::min(Size, m - row0), cols = std::min(Size, n - col0);
        const int acc_width = config_.acc_width;
        for (int i = 0; i < rows; ++i) {
            for (int j = 0; j < cols; ++j) {
                int bit = (i * Size + j) * acc_width;
                auto word = static_cast<std::size_t>(bit / 32);
                int shift = bit % 32;
                std::uint64_t pair = model_->result[word];
                if (shift + acc_width > 32)
                    pair |= std::uint64_t{model_->result[word + 1]} << 32;
                c[static_cast<std::ptrdiff_t>(row0 + i) * n + col0 + j] =
                    wrap_to_width(static_cast<std::int64_t>(pair >> shift), acc_width);
            }
        }
    }

    std::unique_ptr<VerilatedContext> context_;
    std::unique_ptr<Model> model_;
    std::vector<std::uint32_t> a_words_, b_words_;
};

} // namespace

std::unique_ptr<GemmBackend> make_rtl(const ArrayConfig& config) {
    if (config.width != 8 || config.acc_width != 24)
        return nullptr;
    if (config.size == 2)
        return std::make_unique<RtlBackend<Vsystolic_n2, 2>>(config);
    if (config.size == 4)
        return std::make_unique<RtlBackend<Vsystolic_n4, 4>>(config);
    return nullptr;
}

} // namespace detlab::accel::detail
