// The accelerator's check on the native simulator: every vector is one lane that plays the
// tile job's serial script on the board top's SPI pins exactly as rtl/tb/serial_tb.v does
// (same cycle of every pin change and every sample of spi_miso), 64 vectors per pass.
#include "harness/equiv/equiv.h"
#include "harness/equiv/internal.h"

#include <algorithm>
#include <numeric>
#include <sstream>

namespace detlab::equiv::detail {
namespace {

constexpr std::uint8_t kSck = 1, kCsN = 2, kMosi = 4;

// One lane's stimulus: pin states from given cycles on, and the cycles spi_miso is sampled.
struct LaneProgram {
    std::vector<std::pair<std::uint64_t, std::uint8_t>> changes; // (cycle, pins), ascending
    std::vector<std::uint64_t> samples;
    std::uint64_t cycles = 0;
};

// serial_tb.v, with clk cycles counted as its negative edges: pins set at negedge j are what
// posedge j sees, and a sample at negedge j reads spi_miso as posedge j-1 left it.
LaneProgram program_for(const std::string& script_text, int half) {
    LaneProgram p;
    std::uint64_t j = 32; // power-on reset
    std::uint8_t pins = kCsN;
    p.changes.emplace_back(0, pins);
    auto set = [&](std::uint8_t bit, bool on) {
        pins = static_cast<std::uint8_t>(on ? (pins | bit) : (pins & ~bit));
        if (p.changes.back().first == j)
            p.changes.back().second = pins;
        else
            p.changes.emplace_back(j, pins);
    };
    bool in_frame = false;
    auto end_frame = [&] {
        j += static_cast<std::uint64_t>(half);
        set(kCsN, true);
        in_frame = false;
        j += 2 * static_cast<std::uint64_t>(half);
    };
    std::istringstream words(script_text);
    for (std::string line; std::getline(words, line);) {
        if (line.empty())
            continue;
        unsigned word = static_cast<unsigned>(std::stoul(line, nullptr, 16));
        unsigned kind = word >> 12;
        if (kind == 0 && (word & 0x100)) {
            end_frame();
        } else if (kind == 0) {
            if (!in_frame) {
                set(kCsN, false);
                in_frame = true;
            }
            for (int bit = 7; bit >= 0; --bit) {
                set(kMosi, (word >> bit) & 1U);
                j += static_cast<std::uint64_t>(half);
                set(kSck, true);
                p.samples.push_back(j);
                j += static_cast<std::uint64_t>(half);
                set(kSck, false);
            }
        } else if (kind == 1) {
            j += word & 0xFFF;
        } else {
            break;
        }
    }
    if (in_frame)
        end_frame();
    p.cycles = j;
    return p;
}

Net port(const GateNetlist& netlist, const std::string& name, bool input) {
    for (const auto& [port_name, net] : input ? netlist.inputs : netlist.outputs)
        if (port_name == name)
            return net;
    throw Unsupported("the netlist has no " + std::string(input ? "input" : "output") + " port " +
                      name + " (not the accelerator's board top)");
}

} // namespace

SerialLanesResult run_serial_lanes(const GateNetlist& netlist, const accel::ArrayConfig& config,
                                   const std::vector<TileJob>& jobs) {
    SerialLanesResult result;
    result.outputs.resize(jobs.size());
    const Net sck = port(netlist, "spi_sck", true), cs_n = port(netlist, "spi_cs_n", true),
              mosi = port(netlist, "spi_mosi", true), miso = port(netlist, "spi_miso", false);
    double start = monotonic_seconds();
    LaneSim sim(netlist);
    result.prepare_s = monotonic_seconds() - start;
    start = monotonic_seconds();

    // Lanes of one pass run in lockstep until the longest ends: vectors of similar length
    // (similar K) go together.
    std::vector<accel::serial::Script> scripts(jobs.size());
    std::vector<LaneProgram> programs(jobs.size());
    for (std::size_t v = 0; v < jobs.size(); ++v) {
        scripts[v].tile_job(config, jobs[v].k, jobs[v].a.data(), jobs[v].b.data());
        programs[v] = program_for(scripts[v].text(), 4);
    }
    std::vector<std::size_t> order(jobs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return programs[a].cycles < programs[b].cycles;
    });
    for (std::size_t first = 0; first < order.size(); first += 64) {
        std::size_t lanes = std::min<std::size_t>(64, order.size() - first);
        sim.power_up();
        std::uint64_t cycles = 0;
        for (std::size_t l = 0; l < lanes; ++l)
            cycles = std::max(cycles, programs[order[first + l]].cycles);
        std::vector<std::size_t> next_change(lanes, 0), next_sample(lanes, 0);
        std::vector<std::vector<std::uint8_t>> bits(lanes);
        std::uint64_t sck_w = 0, cs_w = ~std::uint64_t{0}, mosi_w = 0;
        for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
            for (std::size_t l = 0; l < lanes; ++l) {
                const auto& p = programs[order[first + l]];
                auto& c = next_change[l];
                while (c < p.changes.size() && p.changes[c].first == cycle) {
                    std::uint8_t pins = p.changes[c++].second;
                    std::uint64_t bit = std::uint64_t{1} << l;
                    sck_w = (pins & kSck) ? (sck_w | bit) : (sck_w & ~bit);
                    cs_w = (pins & kCsN) ? (cs_w | bit) : (cs_w & ~bit);
                    mosi_w = (pins & kMosi) ? (mosi_w | bit) : (mosi_w & ~bit);
                }
            }
            sim.set(sck, sck_w);
            sim.set(cs_n, cs_w);
            sim.set(mosi, mosi_w);
            sim.settle();
            std::uint64_t out = sim.get(miso);
            for (std::size_t l = 0; l < lanes; ++l) {
                const auto& p = programs[order[first + l]];
                auto& s = next_sample[l];
                if (s < p.samples.size() && p.samples[s] == cycle) {
                    bits[l].push_back(static_cast<std::uint8_t>((out >> l) & 1U));
                    ++s;
                }
            }
            sim.edge();
        }
        result.cycles += cycles;
        result.passes += 1;
        for (std::size_t l = 0; l < lanes; ++l) {
            std::size_t v = order[first + l];
            std::vector<std::uint8_t> bytes(bits[l].size() / 8, 0);
            for (std::size_t b = 0; b < bytes.size() * 8; ++b)
                bytes[b / 8] = static_cast<std::uint8_t>(bytes[b / 8] << 1 | bits[l][b]);
            auto responses = accel::serial::split_responses(scripts[v], bytes);
            for (std::size_t f = 0; f < responses.size(); ++f)
                if (scripts[v].frames()[f][0] == accel::serial::op_read_c)
                    result.outputs[v] = decode_tile(config, std::move(responses[f]));
        }
    }
    result.coverage = sim.coverage();
    result.simulate_s = monotonic_seconds() - start;
    return result;
}

} // namespace detlab::equiv::detail
