// The check for any design: the bitstream's netlist and the design's synthesised netlist on
// the native simulator, side by side, under the same seeded random inputs.
#include "harness/equiv/equiv.h"
#include "harness/equiv/internal.h"

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

void run_pair(const detail::GateNetlist& bits, const detail::GateNetlist& synth,
              const DesignCheckOptions& options, CheckResult& result) {
    // Inputs: every input of the bitstream's netlist but the clock, matched by name.
    struct Input {
        Net in_bits, in_synth;
        bool random;
        bool value;
    };
    std::vector<Input> inputs;
    for (const auto& [name, net] : bits.inputs) {
        if (name == options.clock)
            continue;
        auto held = options.hold.find(name);
        inputs.push_back({net, find_port(synth.inputs, name, "input"), held == options.hold.end(),
                          held != options.hold.end() && held->second});
    }
    for (const auto& [name, value] : options.hold)
        if (name != options.clock && std::none_of(bits.inputs.begin(), bits.inputs.end(),
                                                  [&](const auto& p) { return p.first == name; }))
            throw InputError(
                input_error_message("argument", 0, "hold", "no input " + name + " in the design"));
    std::vector<std::pair<Net, Net>> outputs;
    for (const auto& [name, net] : bits.outputs)
        outputs.emplace_back(net, find_port(synth.outputs, name, "output"));
    if (outputs.empty())
        throw detail::Unsupported("the bitstream's netlist has no outputs to compare");

    double start = monotonic_seconds();
    detail::LaneSim a(bits), b(synth);
    result.timing.compile_s += monotonic_seconds() - start;
    start = monotonic_seconds();
    std::mt19937_64 rng(options.seed); // its sequence is fixed by the C++ standard
    for (int first = 0; first < options.stimuli; first += 64) {
        int lanes = std::min(64, options.stimuli - first);
        std::uint64_t used = lanes == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << lanes) - 1;
        a.power_up();
        b.power_up();
        std::uint64_t differs = 0;
        for (int cycle = 0; cycle < options.cycles; ++cycle) {
            for (const auto& in : inputs) {
                std::uint64_t word = in.random ? rng() : (in.value ? ~std::uint64_t{0} : 0);
                a.set(in.in_bits, word);
                b.set(in.in_synth, word);
            }
            a.settle();
            b.settle();
            for (const auto& [x, y] : outputs)
                differs |= a.get(x) ^ b.get(y);
            a.edge();
            b.edge();
        }
        differs &= used;
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
    result.vectors = options.stimuli;
    auto dir = make_temp_dir("detlab-equiv-design-");
    try {
        std::string verilog = detail::make_icebox_verilog(asc_text, pcf, dir);
        result.timing.netlist_s = monotonic_seconds() - start;
        std::filesystem::remove_all(dir);
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
        std::filesystem::remove_all(dir);
        throw;
    } catch (const std::exception& error) {
        std::filesystem::remove_all(dir);
        result.verdict = Verdict::not_checked;
        result.reason = error.what();
    }
    result.wall_s = monotonic_seconds() - start;
    return result;
}

} // namespace detlab::equiv
