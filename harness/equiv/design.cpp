// The check for any design: the bitstream's netlist and the design's synthesised netlist on
// the native simulator, side by side, under the same seeded random inputs.
#include "harness/equiv/equiv.h"
#include "harness/equiv/internal.h"
#include "harness/invariant/invariant.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <random>

namespace detlab::equiv {
namespace {

using detail::Net;

Net find_port(const std::vector<std::pair<std::string, Net>>& ports, const std::string& name,
              const char* what) {
    for (const auto& [port, net] : ports)
        if (port == name)
            return net;
    throw detail::Unsupported(std::string("the synthesised netlist has no ") + what + " " + name);
}

bool has_input(const detail::GateNetlist& netlist, const std::string& name) {
    return std::any_of(netlist.inputs.begin(), netlist.inputs.end(),
                       [&](const auto& port) { return port.first == name; });
}

// The input the simulation clocks: the one named, else the port every flip-flop's clock is,
// else the one input named like a clock. A netlist without flip-flops or RAMs needs none.
std::string clock_input(const detail::GateNetlist& bits, const std::string& named) {
    if (!named.empty()) {
        if (!has_input(bits, named))
            throw InputError(input_error_message("argument", 0, "clock",
                                                 "no input " + named + " in the design"));
        return named;
    }
    if (!bits.clock.empty() && has_input(bits, bits.clock))
        return bits.clock;
    std::vector<std::string> clock_like;
    for (const auto& [name, net] : bits.inputs) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower.find("clk") != std::string::npos || lower.find("clock") != std::string::npos)
            clock_like.push_back(name);
    }
    if (clock_like.size() == 1)
        return clock_like[0];
    if (bits.ffs.empty() && bits.rams.empty())
        return {};
    throw detail::Unsupported(
        clock_like.empty() ? "no clock input found (name it with the experiment key equiv_clock)"
                           : "several clock-like inputs (" + join(clock_like) +
                                 "): name one with the experiment key equiv_clock");
}

// One 32-bit digest (FNV-1a) per stimulus of the bitstream netlist's output trace, so two
// bitstreams' stored outputs can be compared stimulus by stimulus (functional distance).
void add_trace(std::vector<std::uint32_t>& digests, int lanes, std::uint64_t outputs_word,
               int bit) {
    for (int lane = 0; lane < lanes; ++lane) {
        std::uint32_t value = static_cast<std::uint32_t>((outputs_word >> lane) & 1U) + 2U * bit;
        digests[lane] = (digests[lane] ^ value) * 16777619U;
    }
}

void run_pair(const detail::GateNetlist& bits, const detail::GateNetlist& synth,
              const DesignCheckOptions& options, CheckResult& result) {
    // Inputs: every input of the bitstream's netlist but the clock, matched by name.
    struct Input {
        Net in_bits, in_synth;
        bool random;
        bool value;
    };
    std::string clock = clock_input(bits, options.clock);
    std::vector<Input> inputs;
    // By name too: the stimulus of an input must not depend on where placement put its pin.
    auto by_name = bits.inputs;
    std::sort(by_name.begin(), by_name.end());
    for (const auto& [name, net] : by_name) {
        if (name == clock)
            continue;
        auto held = options.hold.find(name);
        inputs.push_back({net, find_port(synth.inputs, name, "input"), held == options.hold.end(),
                          held != options.hold.end() && held->second});
    }
    for (const auto& held_input : options.hold) {   // no structured binding: clang 14 cannot
        const std::string& name = held_input.first; // capture one in a lambda
        if (name != clock && std::none_of(bits.inputs.begin(), bits.inputs.end(),
                                          [&](const auto& p) { return p.first == name; }))
            throw InputError(
                input_error_message("argument", 0, "hold", "no input " + name + " in the design"));
    }
    std::vector<std::pair<Net, Net>> outputs;
    for (const auto& [name, net] : bits.outputs)
        outputs.emplace_back(net, find_port(synth.outputs, name, "output"));
    // By name, so two bitstreams' traces (whose port order may differ) digest alike.
    std::vector<std::pair<std::string, std::size_t>> order;
    for (std::size_t i = 0; i < bits.outputs.size(); ++i)
        order.emplace_back(bits.outputs[i].first, i);
    std::sort(order.begin(), order.end());
    std::vector<std::pair<Net, Net>> sorted;
    for (const auto& [name, i] : order)
        sorted.push_back(outputs[i]);
    outputs = std::move(sorted);
    if (outputs.empty())
        throw detail::Unsupported("the bitstream's netlist has no outputs to compare");

    double start = monotonic_seconds();
    detail::LaneSim a(bits), b(synth);
    result.timing.compile_s += monotonic_seconds() - start;
    start = monotonic_seconds();
    // The project's one seeded source; raw draws only (mt19937_64's sequence, fixed by the
    // C++ standard), so the stimuli are the ones a plain std::mt19937_64 gave before.
    DeterministicRng rng(options.seed);
    for (int first = 0; first < options.stimuli; first += 64) {
        int lanes = std::min(64, options.stimuli - first);
        std::uint64_t used = lanes == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << lanes) - 1;
        a.power_up();
        b.power_up();
        std::uint64_t differs = 0;
        std::vector<std::uint32_t> digests(static_cast<std::size_t>(lanes), 2166136261U);
        for (int cycle = 0; cycle < options.cycles; ++cycle) {
            for (const auto& in : inputs) {
                std::uint64_t word = in.random ? rng.next() : (in.value ? ~std::uint64_t{0} : 0);
                a.set(in.in_bits, word);
                b.set(in.in_synth, word);
            }
            a.settle();
            b.settle();
            int bit = 0;
            for (const auto& [x, y] : outputs) {
                differs |= a.get(x) ^ b.get(y);
                add_trace(digests, lanes, a.get(x), bit++);
            }
            a.edge();
            b.edge();
        }
        differs &= used;
        for (auto digest : digests)
            result.outputs.push_back(static_cast<std::int32_t>(digest));
        for (int lane = 0; lane < lanes; ++lane)
            if ((differs >> lane) & 1U) {
                ++result.mismatches;
                result.mismatched.push_back(first + lane);
            }
        result.timing.cycles += static_cast<std::uint64_t>(options.cycles);
        result.timing.runs += 1;
    }
    result.timing.simulate_s = monotonic_seconds() - start;
    auto coverage = a.coverage();
    result.toggle_ff = coverage.ffs ? double(coverage.ffs_toggled) / coverage.ffs : -1;
    result.toggle_lut = coverage.luts ? double(coverage.luts_toggled) / coverage.luts : -1;
}

} // namespace

CheckResult check_against_synthesis(std::string_view asc_text, const std::filesystem::path& pcf,
                                    const nlohmann::json& synthesised, const std::string& top,
                                    const DesignCheckOptions& options) {
    if (options.stimuli < 1 || options.cycles < 1)
        throw InputError(input_error_message("argument", 0, "stimuli",
                                             "need at least one stimulus of at least one cycle"));
    double start = monotonic_seconds();
    CheckResult result;
    result.simulator = Simulator::native;
    result.method = kMethodRandomStimulus;
    result.vectors = options.stimuli;
    result.cycles = options.cycles;
    std::optional<TempDir> scratch(std::in_place,
                                   "detlab-equiv-design-"); // removed however this ends
    try {
        std::string verilog = detail::make_icebox_verilog(asc_text, pcf, scratch->path());
        result.timing.netlist_s = monotonic_seconds() - start;
        scratch.reset(); // the netlist is in memory now
        double parse = monotonic_seconds();
        auto bits = detail::parse_icebox_verilog(verilog);
        auto synth = detail::read_yosys_json(synthesised, top);
        result.timing.compile_s = monotonic_seconds() - parse;
        result.timing.jobs = static_cast<std::uint64_t>(options.stimuli);
        run_pair(bits, synth, options, result);
        result.verdict = result.mismatches ? Verdict::differs : Verdict::no_difference;
        result.rate_bound = result.mismatches ? double(result.mismatches) / result.vectors
                                              : mismatch_rate_bound(result.vectors);
    } catch (const InputError&) {
        throw;
    } catch (const InternalError&) {
        throw; // a bug in detlab is not a check's result
    } catch (const std::exception& error) {
        result.verdict = Verdict::not_checked;
        result.reason = error.what();
    }
    result.wall_s = monotonic_seconds() - start;
    return result;
}

} // namespace detlab::equiv
