// A formal check of a bitstream's netlist against the run's synthesised netlist (issue 31).
// nextpnr keeps the synthesised flip-flops and block RAMs (it packs and places them), and the
// .asc it writes names every routed net (.sym), which icebox_vlog -L turns into aliases. So each
// of the bitstream's flip-flops is matched to the synthesised flip-flop whose Q net has that name,
// each RAM likewise, and both become shared cut points: the same free variable on both sides.
// With every register matched and both starting from the same power-up state, the two netlists
// are equivalent when every compare point (each flip-flop's next state, each RAM input pin, each
// output) is the same function of the shared variables: by induction over the clock cycles,
// states and outputs then stay equal forever. That combinational miter goes to ABC (yosys-abc,
// `iprove`: SAT sweeping) under a time limit.
#include "harness/equiv/equiv.h"
#include "harness/equiv/proof_miter.h"
#include "harness/invariant/invariant.h"
#include "harness/process/process.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace detlab::equiv {
namespace fs = std::filesystem;
using detail::Miter;
using detail::Net;
using detail::numbered;
using detail::Side;

namespace {

// icebox_vlog -L writes "wire \_<name> = nX;" per routed net name; a name met on a second,
// different net gets "_" appended. The aliases are taken out of the text (the reader does not
// need them) and kept per net.
std::map<std::string, std::vector<std::string>> take_aliases(std::string& text) {
    std::map<std::string, std::vector<std::string>> aliases;
    std::string kept;
    kept.reserve(text.size());
    std::istringstream in(text);
    static const std::regex alias(R"(^wire \\_(\S+) = (n\d+);$)");
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        if (std::regex_match(line, m, alias)) {
            aliases[m[2]].push_back(m[1]);
            continue;
        }
        kept += line;
        kept += '\n';
    }
    text = std::move(kept);
    return aliases;
}

// The names yosys gives each bit (netnames: "x" for a one-bit wire, "x[i]" with its offset).
std::map<std::string, std::set<std::string>> yosys_bit_names(const nlohmann::json& module) {
    std::map<std::string, std::set<std::string>> names;                 // "$<bit>" -> names
    auto netnames = module.value("netnames", nlohmann::json::object()); // kept: items() refers
    for (const auto& [name, net] : netnames.items()) {
        const auto& bits = net.at("bits");
        int offset = net.value("offset", 0);
        bool upto = net.value("upto", 0) != 0;
        for (std::size_t i = 0; i < bits.size(); ++i) {
            if (!bits[i].is_number_integer())
                continue;
            std::string key = numbered("$", bits[i].get<long long>());
            int index = offset + static_cast<int>(upto ? bits.size() - 1 - i : i);
            if (bits.size() == 1)
                names[key].insert(name);
            names[key].insert(name + "[" + std::to_string(index) + "]");
        }
    }
    return names;
}

process::Result run_limited(std::vector<std::string> argv, const fs::path& cwd, double seconds) {
    process::Spec spec;
    spec.argv = std::move(argv);
    spec.cwd = cwd;
    spec.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    spec.set_env = {{"LC_ALL", "C"}};
    spec.output_limit = 0;
    return process::run(spec);
}

ProofResult unfinished(ProofResult result, std::string why, double start) {
    result.wall_s = monotonic_seconds() - start;
    result.outcome = ProofOutcome::unfinished;
    result.reason = std::move(why);
    return result;
}

} // namespace

std::string proof_outcome_name(ProofOutcome outcome) {
    switch (outcome) {
    case ProofOutcome::proved:
        return "proved";
    case ProofOutcome::differs:
        return "differs";
    default:
        return "unfinished";
    }
}

ProofResult prove_against_synthesis(std::string_view asc_text, const fs::path& pcf,
                                    const nlohmann::json& synthesised, const std::string& top,
                                    const ProofOptions& options) {
    double start = monotonic_seconds();
    auto remaining = [&] {
        return options.time_limit_s - (monotonic_seconds() - start);
    };
    ProofResult result;
    std::optional<TempDir> scratch;
    fs::path dir = options.work_dir;
    if (dir.empty())
        dir = scratch.emplace("detlab-proof-").path();
    else
        fs::create_directories(dir);

    write_file(dir / "bitstream.asc", asc_text);
    auto vlog =
        run_limited({"icebox_vlog", "-s", "-L", "-p", fs::absolute(pcf).string(), "bitstream.asc"},
                    dir, std::max(remaining(), 1.0));
    result.netlist_s = monotonic_seconds() - start;
    if (vlog.outcome == process::Result::Outcome::timed_out)
        return unfinished(result, "time limit reached making the netlist (icebox_vlog)", start);
    if (!vlog.ok())
        return unfinished(result,
                          "icebox_vlog failed: " + vlog.describe() + " " + vlog.err.substr(0, 300),
                          start);
    std::string text = std::move(vlog.out);
    auto aliases = take_aliases(text);
    if (options.netlist_edit)
        text = options.netlist_edit(text);

    Side gate, gold;
    try {
        gate.netlist = detail::parse_icebox_verilog(text);
        gold.netlist = detail::read_yosys_json(synthesised, top);
    } catch (const detail::Unsupported& error) {
        return unfinished(result, std::string("netlist not modelled: ") + error.what(), start);
    }
    const auto& modules = synthesised.at("modules");
    const auto& module = modules.contains(top) ? modules.at(top) : modules.begin().value();
    auto bit_names = yosys_bit_names(module);
    for (std::size_t net = 0; net < gold.netlist.names.size(); ++net)
        if (auto it = bit_names.find(gold.netlist.names[net]); it != bit_names.end())
            gold.names[static_cast<Net>(net)] = it->second;

    Miter miter(gate, gold);
    if (auto why = miter.match(aliases); !why.empty())
        return unfinished(result, "flip-flops not matched exactly: " + why, start);
    result.flip_flops = static_cast<int>(miter.ffs());
    result.rams = static_cast<int>(miter.rams());
    if (auto port = miter.missing_output(); !port.empty())
        return unfinished(result, "output " + port + " is not a port of the bitstream's netlist",
                          start);
    if (auto why = miter.initial_difference(); !why.empty()) {
        result.outcome = ProofOutcome::differs;
        result.differing = {why};
        result.reason = why;
        result.wall_s = monotonic_seconds() - start;
        return result;
    }
    write_file(dir / "miter.blif", miter.blif());
    result.compare_points = static_cast<int>(miter.compare_points());

    double solve_start = monotonic_seconds();
    if (remaining() <= 0)
        return unfinished(result, "time limit reached before the solver ran", start);
    auto abc = run_limited(
        {"yosys-abc", "-c", "read_blif miter.blif; strash; iprove; write_cex -n cex.txt"}, dir,
        remaining());
    result.solve_s = monotonic_seconds() - solve_start;
    result.wall_s = monotonic_seconds() - start;
    if (abc.outcome == process::Result::Outcome::timed_out)
        return unfinished(result,
                          "time limit of " +
                              std::to_string(static_cast<long long>(options.time_limit_s)) +
                              " s reached in the solver (yosys-abc iprove)",
                          start);
    if (!abc.ok())
        return unfinished(result, "yosys-abc failed: " + abc.describe(), start);
    // A net the miter uses but does not define would be read as a constant: a bug here, and
    // never a proof.
    if (abc.out.find("non-driven") != std::string::npos ||
        abc.out.find("Error") != std::string::npos)
        throw InternalError("proof: yosys-abc did not read the miter as written: " +
                            abc.out.substr(0, 400));
    if (abc.out.find("UNSATISFIABLE") != std::string::npos) {
        result.outcome = ProofOutcome::proved;
        return result;
    }
    if (abc.out.find("SATISFIABLE") == std::string::npos || !fs::exists(dir / "cex.txt"))
        return unfinished(result,
                          "yosys-abc iprove did not decide the miter: " +
                              abc.out.substr(abc.out.size() > 300 ? abc.out.size() - 300 : 0),
                          start);
    std::map<std::string, bool> assignment;
    std::ifstream cex(dir / "cex.txt");
    static const std::regex line_re(R"(^(\S+)@0=([01])$)");
    std::smatch m;
    for (std::string line; std::getline(cex, line);)
        if (std::regex_match(line, m, line_re))
            assignment[m[1]] = m[2] == "1";
    result.differing = miter.differing(assignment);
    if (result.differing.empty())
        return unfinished(result, "the solver's counterexample did not replay on the netlists",
                          start);
    result.outcome = ProofOutcome::differs;
    for (const auto& [name, value] : assignment)
        if (value)
            result.counterexample.push_back(miter.describe_input(name));
    result.reason =
        result.differing.front() + " differs when " +
        (result.counterexample.empty() ? std::string("every state and input is 0")
                                       : "only these are 1: " + result.counterexample.front() +
                                             (result.counterexample.size() > 1 ? ", ..." : ""));
    return result;
}

} // namespace detlab::equiv
