// LaneSim: a levelised, bit-parallel evaluation of a GateNetlist. Each truth table becomes a
// few word operations (its Shannon expansion, constant halves folded away), run in
// topological order once per cycle; flip-flops and RAMs then take the clock edge. Every uint64
// holds 64 independent lanes, so one pass simulates 64 stimuli.
#include "harness/equiv/internal.h"

#include <algorithm>

namespace detlab::equiv::detail {
namespace {

std::uint64_t table_mask(int inputs) {
    return inputs >= 6 ? ~std::uint64_t{0} : (std::uint64_t{1} << (1U << inputs)) - 1;
}

} // namespace

LaneSim::LaneSim(const GateNetlist& netlist) : netlist_(netlist) {
    const std::size_t nets = netlist.names.size();
    // Levelise: a node runs after the nodes that drive its inputs (depth-first, iterative).
    std::vector<int> driver(nets, -1);
    for (std::size_t i = 0; i < netlist.nodes.size(); ++i) {
        Net out = netlist.nodes[i].out;
        if (out <= kConst1 || driver[out] != -1)
            throw Unsupported("netlist: net " + netlist.names[out] + " has two drivers");
        driver[out] = static_cast<int>(i);
    }
    for (const auto& ff : netlist.ffs)
        if (driver[ff.q] != -1)
            throw Unsupported("netlist: net " + netlist.names[ff.q] + " has two drivers");
    std::vector<std::uint8_t> state(netlist.nodes.size(), 0); // 0 new, 1 on stack, 2 placed
    std::vector<std::size_t> order;
    for (std::size_t root = 0; root < netlist.nodes.size(); ++root) {
        if (state[root])
            continue;
        std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
        state[root] = 1;
        while (!stack.empty()) {
            auto& [node, next] = stack.back();
            const auto& in = netlist.nodes[node].in;
            if (next < in.size()) {
                int d = driver[in[next++]];
                if (d < 0 || state[static_cast<std::size_t>(d)] == 2)
                    continue;
                if (state[static_cast<std::size_t>(d)] == 1)
                    throw Unsupported("netlist: a combinational loop through net " +
                                      netlist.names[netlist.nodes[node].out]);
                state[static_cast<std::size_t>(d)] = 1;
                stack.emplace_back(static_cast<std::size_t>(d), 0);
            } else {
                state[node] = 2;
                order.push_back(node);
                stack.pop_back();
            }
        }
    }
    values_.assign(nets, 0);
    for (std::size_t i : order) {
        const auto& node = netlist.nodes[i];
        scratch_used_ = 0;
        Net result = compile_table(node.table & table_mask(static_cast<int>(node.in.size())),
                                   static_cast<int>(node.in.size()), node.in);
        if (result >= nets && !ops_.empty() && ops_.back().dst == result)
            ops_.back().dst = node.out; // the last step writes the node's net directly
        else
            ops_.push_back({node.out, result, result, kConst0});
        if (node.is_lut)
            luts_.push_back(node.out);
    }
    values_.resize(nets + scratch_max_, 0);
    next_q_.resize(netlist.ffs.size());
    memory_.resize(netlist.rams.size());
    last_read_.assign(netlist.rams.size(), {});
    pending_.assign(netlist.rams.size(), false);
    pending_rdata_.assign(netlist.rams.size(), {});
    for (const auto& ff : netlist.ffs)
        tracked_.push_back(ff.q);
    tracked_ffs_ = tracked_.size();
    tracked_.insert(tracked_.end(), luts_.begin(), luts_.end());
    seen0_.assign(tracked_.size(), 0);
    seen1_.assign(tracked_.size(), 0);
    power_up();
}

Net LaneSim::scratch() {
    Net slot = static_cast<Net>(netlist_.names.size() + scratch_used_++);
    scratch_max_ = std::max(scratch_max_, scratch_used_);
    return slot;
}

Net LaneSim::compile_table(std::uint64_t table, int inputs, const std::vector<Net>& in) {
    const std::uint64_t mask = table_mask(inputs);
    if (table == 0)
        return kConst0;
    if (table == mask)
        return kConst1;
    // inputs >= 1 here. Split on the highest input: table = s ? high : low.
    const unsigned half = 1U << (inputs - 1);
    const std::uint64_t half_mask = table_mask(inputs - 1);
    std::uint64_t low = table & half_mask, high = (table >> half) & half_mask;
    Net s = in[static_cast<std::size_t>(inputs - 1)];
    if (low == high)
        return compile_table(low, inputs - 1, in);
    Net l = compile_table(low, inputs - 1, in);
    Net h = compile_table(high, inputs - 1, in);
    if (l == kConst0 && h == kConst1)
        return s;
    Net dst = scratch();
    ops_.push_back({dst, l, h, s});
    return dst;
}

void LaneSim::power_up() {
    std::fill(values_.begin(), values_.end(), 0);
    values_[kConst1] = ~std::uint64_t{0};
    dirty_ = true;
    quiet_ = false;
    for (std::size_t r = 0; r < netlist_.rams.size(); ++r) {
        memory_[r].assign(64 * 256, 0);
        for (std::size_t lane = 0; lane < 64; ++lane)
            std::copy(netlist_.rams[r].init.begin(), netlist_.rams[r].init.end(),
                      memory_[r].begin() + static_cast<std::ptrdiff_t>(lane * 256));
        last_read_[r].valid = false;
    }
}

void LaneSim::settle() {
    if (!dirty_) {
        quiet_ = true;
        return;
    }
    quiet_ = false;
    dirty_ = false;
    std::uint64_t* v = values_.data();
    for (const Op& op : ops_) {
        std::uint64_t low = v[op.a];
        v[op.dst] = low ^ ((low ^ v[op.b]) & v[op.s]);
    }
    for (std::size_t i = 0; i < tracked_.size(); ++i) {
        seen1_[i] |= v[tracked_[i]];
        seen0_[i] |= ~v[tracked_[i]];
    }
}

void LaneSim::edge() {
    if (quiet_)
        return;
    std::uint64_t* v = values_.data();
    const auto& ffs = netlist_.ffs;
    for (std::size_t i = 0; i < ffs.size(); ++i) {
        const auto& ff = ffs[i];
        std::uint64_t q = v[ff.q] ^ ((v[ff.q] ^ v[ff.d]) & v[ff.enable]);
        q = ff.reset_value ? (q | v[ff.reset]) : (q & ~v[ff.reset]);
        next_q_[i] = q;
    }
    // RAMs read the memory as it was before this edge's write (yosys's cell model does too).
    for (std::size_t r = 0; r < netlist_.rams.size(); ++r) {
        const auto& ram = netlist_.rams[r];
        auto& mem = memory_[r];
        auto& last = last_read_[r];
        std::uint64_t read = v[ram.re] & v[ram.rclke], write = v[ram.we] & v[ram.wclke];
        std::array<std::uint64_t, 8> raddr{};
        std::array<std::uint64_t, 16> rmask{};
        for (std::size_t b = 0; b < 8; ++b)
            raddr[b] = v[ram.raddr[b]];
        for (std::size_t b = 0; b < 16; ++b)
            rmask[b] = v[ram.rmask[b]];
        // Nothing written since and the same addresses read: RDATA already holds the words.
        bool same = last.valid && last.read == read && last.raddr == raddr && last.rmask == rmask &&
                    !last.wrote;
        if (read && !same) {
            std::array<std::uint64_t, 16> rdata{};
            for (std::size_t b = 0; b < 16; ++b)
                rdata[b] = v[ram.rdata[b]] & ~read; // lanes not reading keep their value
            for (unsigned lane = 0; lane < 64; ++lane) {
                if (!((read >> lane) & 1U))
                    continue;
                unsigned a = 0;
                for (unsigned b = 0; b < 8; ++b)
                    a |= static_cast<unsigned>((raddr[b] >> lane) & 1U) << b;
                std::uint64_t word = mem[lane * 256 + a];
                for (std::size_t b = 0; b < 16; ++b)
                    rdata[b] |= ((word >> b) & 1U) << lane;
            }
            for (std::size_t b = 0; b < 16; ++b) // modes 1-3: the bits of other words read 0
                rdata[b] &= ~(rmask[b] & read);
            pending_rdata_[r] = rdata;
        }
        pending_[r] = read && !same;
        last = {true, read, raddr, rmask, write != 0};
        dirty_ = dirty_ || write != 0;
        if (write) {
            for (unsigned lane = 0; lane < 64; ++lane) {
                if (!((write >> lane) & 1U))
                    continue;
                unsigned a = 0;
                std::uint16_t data = 0, keep = 0;
                for (unsigned b = 0; b < 8; ++b)
                    a |= static_cast<unsigned>((v[ram.waddr[b]] >> lane) & 1U) << b;
                for (unsigned b = 0; b < 16; ++b) {
                    data |= static_cast<std::uint16_t>(((v[ram.wdata[b]] >> lane) & 1U) << b);
                    keep |= static_cast<std::uint16_t>(((v[ram.mask[b]] >> lane) & 1U) << b);
                }
                auto& word = mem[lane * 256 + a];
                word = static_cast<std::uint16_t>((word & keep) | (data & ~keep));
            }
        }
    }
    for (std::size_t r = 0; r < netlist_.rams.size(); ++r)
        if (pending_[r])
            for (std::size_t b = 0; b < 16; ++b) {
                Net net = netlist_.rams[r].rdata[b];
                dirty_ = dirty_ || v[net] != pending_rdata_[r][b];
                v[net] = pending_rdata_[r][b];
            }
    for (std::size_t i = 0; i < ffs.size(); ++i) {
        dirty_ = dirty_ || v[ffs[i].q] != next_q_[i];
        v[ffs[i].q] = next_q_[i];
    }
}

LaneSim::Coverage LaneSim::coverage() const {
    Coverage c;
    for (std::size_t i = 0; i < tracked_.size(); ++i) {
        bool toggled = seen0_[i] != 0 && seen1_[i] != 0;
        if (i < tracked_ffs_) {
            ++c.ffs;
            c.ffs_toggled += toggled;
        } else {
            ++c.luts;
            c.luts_toggled += toggled;
        }
    }
    return c;
}

} // namespace detlab::equiv::detail
