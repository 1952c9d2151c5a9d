// A bitstream's netlist as a GemmBackend: each GEMM is cut into the tile jobs the board top
// runs (N x N outputs, K up to serial::max_k), all simulated in one run of the testbench.
#include "harness/invariant/invariant.h"
#include "harness/model_on_bitstream/model_on_bitstream.h"

#include <algorithm>
#include <stdexcept>

namespace detlab::model_on_bitstream {
namespace {

class NetlistBackend : public accel::GemmBackend {
public:
    explicit NetlistBackend(std::shared_ptr<equiv::NetlistSim> sim) : sim_(std::move(sim)) {}

    std::string name() const override {
        return "netlist-" + equiv::simulator_name(sim_->simulator());
    }
    accel::ArrayConfig config() const override { return sim_->board().array; }

    void gemm(int m, int k, int n, const std::int8_t* a, const std::int8_t* b,
              std::int32_t* c) override {
        if (m < 0 || k < 0 || n < 0)
            throw std::invalid_argument("gemm: negative size");
        const auto config = sim_->board().array;
        const int size = config.size, chunk = accel::serial::max_k;
        std::fill(c, c + static_cast<std::size_t>(m) * static_cast<std::size_t>(n), 0);
        if (m == 0 || n == 0 || k == 0)
            return count(config, m, k, n);
        std::vector<equiv::TileJob> jobs;
        for (int row = 0; row < m; row += size)
            for (int col = 0; col < n; col += size)
                for (int start = 0; start < k; start += chunk)
                    jobs.push_back(
                        tile(size, m, k, n, a, b, row, col, start, std::min(chunk, k - start)));
        auto outputs = sim_->run(jobs);
        // Chunks of K add up modulo 2^AW, exactly as one long accumulation would wrap.
        std::vector<std::int64_t> sums(static_cast<std::size_t>(m) * static_cast<std::size_t>(n));
        std::size_t job = 0;
        for (int row = 0; row < m; row += size)
            for (int col = 0; col < n; col += size)
                for (int start = 0; start < k; start += chunk, ++job)
                    for (int i = 0; i < size && row + i < m; ++i)
                        for (int j = 0; j < size && col + j < n; ++j)
                            sums[static_cast<std::size_t>(row + i) * static_cast<std::size_t>(n) +
                                 static_cast<std::size_t>(col + j)] +=
                                outputs.at(job).c.at(static_cast<std::size_t>(i * size + j));
        for (std::size_t cell = 0; cell < sums.size(); ++cell)
            c[cell] = accel::wrap_to_width(sums[cell], config.acc_width);
        count(config, m, k, n);
    }

    accel::GemmStats stats() const override { return stats_; }
    void reset_stats() override { stats_ = {}; }

private:
    // The N x len slice of A at (row, start) and len x N slice of B at (start, col), zero-padded
    // where the matrices end.
    static equiv::TileJob tile(int size, int m, int k, int n, const std::int8_t* a,
                               const std::int8_t* b, int row, int col, int start, int len) {
        equiv::TileJob job;
        job.k = len;
        job.a.assign(static_cast<std::size_t>(size * len), 0);
        job.b.assign(static_cast<std::size_t>(size * len), 0);
        for (int i = 0; i < size && row + i < m; ++i)
            for (int p = 0; p < len; ++p)
                job.a[static_cast<std::size_t>(i * len + p)] =
                    a[static_cast<std::size_t>(row + i) * static_cast<std::size_t>(k) +
                      static_cast<std::size_t>(start + p)];
        for (int p = 0; p < len; ++p)
            for (int j = 0; j < size && col + j < n; ++j)
                job.b[static_cast<std::size_t>(p * size + j)] =
                    b[static_cast<std::size_t>(start + p) * static_cast<std::size_t>(n) +
                      static_cast<std::size_t>(col + j)];
        return job;
    }

    void count(const accel::ArrayConfig& config, int m, int k, int n) {
        auto macs = static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(k) *
                    static_cast<std::uint64_t>(n);
        stats_.gemms += 1;
        stats_.macs += macs;
        stats_.busy_mac_cycles += macs;
        stats_.cycles += accel::gemm_cycles(config, m, k, n);
    }

    std::shared_ptr<equiv::NetlistSim> sim_;
    accel::GemmStats stats_;
};

} // namespace

std::unique_ptr<accel::GemmBackend> make_netlist_backend(std::shared_ptr<equiv::NetlistSim> sim) {
    DETLAB_ASSERT(sim != nullptr, "make_netlist_backend: no simulation");
    return std::make_unique<NetlistBackend>(std::move(sim));
}

} // namespace detlab::model_on_bitstream
