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
#include "harness/equiv/internal.h"
#include "harness/invariant/invariant.h"
#include "harness/process/process.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace detlab::equiv {
namespace fs = std::filesystem;
using detail::GateNetlist;
using detail::Net;

namespace {

struct Side {
    GateNetlist netlist;
    std::map<Net, std::set<std::string>> names; // the synthesised names a net carries
};

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
            std::string key = "$" + std::to_string(bits[i].get<long long>());
            int index = offset + static_cast<int>(upto ? bits.size() - 1 - i : i);
            if (bits.size() == 1)
                names[key].insert(name);
            names[key].insert(name + "[" + std::to_string(index) + "]");
        }
    }
    return names;
}

// The synthesised element a bitstream net's aliases name: the unique one or -1.
int unique_match(const std::vector<std::string>& aliases,
                 const std::map<std::string, int>& by_name) {
    std::set<int> found;
    for (std::string name : aliases)
        while (true) { // a name with "_" appended by icebox_vlog may still be the plain one
            if (auto it = by_name.find(name); it != by_name.end())
                found.insert(it->second);
            if (name.empty() || name.back() != '_')
                break;
            name.pop_back();
        }
    return found.size() == 1 ? *found.begin() : -1;
}

// A RAM is known by the names of its read data (its own outputs; address and write data nets
// may be shared with other RAMs).
std::vector<Net> ram_nets(const GateNetlist::Ram& ram) {
    return {ram.rdata.begin(), ram.rdata.end()};
}

// A compare point: a signal of the bitstream's netlist and the synthesised one that must agree.
struct Point {
    std::string label;
    Net gate = 0, gold = 0;
    bool next_state = false; // a flip-flop's next state (FF index in `ff`)
    std::size_t ff_gate = 0, ff_gold = 0;
};

class Miter {
public:
    Miter(const Side& gate, const Side& gold) : gate_(gate), gold_(gold) {}

    // Matches flip-flops and RAMs by name; "" when every one matched, else why not.
    std::string match(const std::map<std::string, std::vector<std::string>>& aliases) {
        const auto& g = gold_.netlist;
        const auto& b = gate_.netlist;
        if (g.ffs.size() != b.ffs.size())
            return "the bitstream has " + std::to_string(b.ffs.size()) +
                   " flip-flops, the synthesised netlist " + std::to_string(g.ffs.size());
        if (g.rams.size() != b.rams.size())
            return "the bitstream has " + std::to_string(b.rams.size()) +
                   " block RAMs, the synthesised netlist " + std::to_string(g.rams.size());
        std::map<std::string, int> ff_by_name, ram_by_name;
        for (std::size_t i = 0; i < g.ffs.size(); ++i)
            for (const auto& name : names_of(gold_, g.ffs[i].q))
                ff_by_name[name] = static_cast<int>(i);
        for (std::size_t i = 0; i < g.rams.size(); ++i)
            for (Net net : ram_nets(g.rams[i]))
                for (const auto& name : names_of(gold_, net))
                    ram_by_name[name] = static_cast<int>(i);
        auto aliases_of = [&](Net net) {
            auto it = aliases.find(b.names[net]);
            return it == aliases.end() ? std::vector<std::string>{} : it->second;
        };
        std::set<int> used;
        for (std::size_t i = 0; i < b.ffs.size(); ++i) {
            int k = unique_match(aliases_of(b.ffs[i].q), ff_by_name);
            if (k < 0 || !used.insert(k).second)
                return "flip-flop " + b.names[b.ffs[i].q] +
                       " of the bitstream has no unique synthesised name";
            ff_match_.push_back(static_cast<std::size_t>(k));
        }
        used.clear();
        for (std::size_t i = 0; i < b.rams.size(); ++i) {
            std::vector<std::string> all;
            int k = -1;
            for (Net net : ram_nets(b.rams[i]))
                if (int found = unique_match(aliases_of(net), ram_by_name); found >= 0)
                    k = k < 0 || k == found ? found : -2;
            if (k == -1 && b.rams.size() == 1)
                k = 0; // one RAM on each side (its read data unnamed: modes 1-3)
            if (k < 0 || !used.insert(k).second)
                return "block RAM " + std::to_string(i) +
                       " of the bitstream has no unique synthesised counterpart";
            ram_match_.push_back(static_cast<std::size_t>(k));
        }
        return {};
    }

    std::size_t ffs() const { return ff_match_.size(); }
    std::size_t rams() const { return ram_match_.size(); }

    // Initial contents that differ are a difference at power-up ("" when equal).
    std::string initial_difference() const {
        for (std::size_t i = 0; i < ram_match_.size(); ++i) {
            const auto& a = gate_.netlist.rams[i].init;
            const auto& b = gold_.netlist.rams[ram_match_[i]].init;
            for (std::size_t w = 0; w < a.size(); ++w)
                if (a[w] != b[w])
                    return "block RAM " + ram_label(i) + ": initial word " + std::to_string(w) +
                           " differs";
        }
        return {};
    }

    // The miter as BLIF: one output, 1 when any compare point differs.
    std::string blif() {
        points();
        std::ostringstream out;
        out << ".model miter\n.inputs";
        for (const auto& [name, _] : shared_inputs())
            out << ' ' << name;
        out << "\n.outputs differ\n.names c0\n.names c1\n1\n";
        emit_side(out, gate_.netlist, 'a', true);
        emit_side(out, gold_.netlist, 'b', false);
        std::vector<std::string> diffs;
        for (std::size_t i = 0; i < points_.size(); ++i) {
            std::string d = "d" + std::to_string(i);
            out << ".names " << signal(points_[i], true) << ' ' << signal(points_[i], false) << ' '
                << d << "\n10 1\n01 1\n";
            diffs.push_back(d);
        }
        // An OR tree of eight inputs a level.
        int next = 0;
        while (diffs.size() > 1 || diffs.empty()) {
            std::vector<std::string> level;
            for (std::size_t i = 0; i < diffs.size(); i += 8) {
                std::string o = std::to_string(next++);
                o.insert(o.begin(), 'o'); // (GCC 12 warns falsely about "o" + string)
                out << ".names";
                std::size_t n = std::min<std::size_t>(8, diffs.size() - i);
                for (std::size_t j = 0; j < n; ++j)
                    out << ' ' << diffs[i + j];
                out << ' ' << o << '\n';
                for (std::size_t j = 0; j < n; ++j)
                    out << std::string(j, '-') << '1' << std::string(n - j - 1, '-') << " 1\n";
                level.push_back(o);
            }
            if (diffs.empty())
                level.push_back("c0");
            diffs = std::move(level);
        }
        out << ".names " << diffs[0] << " differ\n1 1\n.end\n";
        return out.str();
    }

    // Compare points that differ under a counterexample (shared input name -> value).
    std::vector<std::string> differing(const std::map<std::string, bool>& assignment) const {
        auto evaluate = [&](const Side& side, bool is_gate) {
            detail::LaneSim sim(side.netlist);
            sim.power_up();
            for (const auto& [name, nets] : shared_inputs())
                if (auto it = assignment.find(name); it != assignment.end() && it->second)
                    sim.set(is_gate ? nets.first : nets.second, ~std::uint64_t{0});
            sim.settle();
            std::vector<bool> values;
            for (const auto& p : points_)
                values.push_back(value(sim, side.netlist, p, is_gate));
            return values;
        };
        auto a = evaluate(gate_, true), b = evaluate(gold_, false);
        std::vector<std::string> labels;
        for (std::size_t i = 0; i < points_.size(); ++i)
            if (a[i] != b[i])
                labels.push_back(points_[i].label);
        return labels;
    }

    std::size_t compare_points() const { return points_.size(); }
    // A shared input's meaning for people ("state of <ff>", "input <port>").
    std::string describe_input(const std::string& name) const {
        auto it = input_labels_.find(name);
        return it == input_labels_.end() ? name : it->second;
    }

private:
    std::set<std::string> names_of(const Side& side, Net net) const {
        auto it = side.names.find(net);
        return it == side.names.end() ? std::set<std::string>{} : it->second;
    }
    std::string ff_label(std::size_t gold_ff) const {
        auto names = names_of(gold_, gold_.netlist.ffs[gold_ff].q);
        return names.empty() ? gold_.netlist.names[gold_.netlist.ffs[gold_ff].q] : *names.begin();
    }
    std::string ram_label(std::size_t gate_ram) const {
        return "#" + std::to_string(ram_match_[gate_ram]);
    }

    // Shared free variables: name -> (gate net, gold net); 0 where a side lacks it.
    const std::map<std::string, std::pair<Net, Net>>& shared_inputs() const { return shared_; }

    void points() {
        if (!points_.empty() || built_)
            return;
        built_ = true;
        const auto& a = gate_.netlist;
        const auto& b = gold_.netlist;
        std::map<std::string, Net> gate_inputs(a.inputs.begin(), a.inputs.end());
        for (const auto& [port, net] : b.inputs) {
            share("i_" + sanitize(port), gate_inputs.count(port) ? gate_inputs[port] : 0, net);
            input_labels_["i_" + sanitize(port)] = "input " + port;
        }
        for (const auto& [port, net] : a.inputs)
            if (!shared_.count("i_" + sanitize(port)))
                share("i_" + sanitize(port), net, 0);
        for (std::size_t i = 0; i < a.ffs.size(); ++i) {
            std::string s = "s" + std::to_string(ff_match_[i]);
            share(s, a.ffs[i].q, b.ffs[ff_match_[i]].q);
            input_labels_[s] = "state of " + ff_label(ff_match_[i]);
            points_.push_back(
                {"next state of " + ff_label(ff_match_[i]), 0, 0, true, i, ff_match_[i]});
        }
        for (std::size_t i = 0; i < a.rams.size(); ++i) {
            const auto& ra = a.rams[i];
            const auto& rb = b.rams[ram_match_[i]];
            for (std::size_t j = 0; j < 16; ++j)
                share(std::string("r") + std::to_string(ram_match_[i]) + "_" + std::to_string(j),
                      ra.rdata[j], rb.rdata[j]);
            auto pin = [&](const std::string& name, Net x, Net y) {
                points_.push_back({"block RAM " + ram_label(i) + " " + name, x, y});
            };
            for (std::size_t j = 0; j < 8; ++j) {
                pin("RADDR[" + std::to_string(j) + "]", ra.raddr[j], rb.raddr[j]);
                pin("WADDR[" + std::to_string(j) + "]", ra.waddr[j], rb.waddr[j]);
            }
            for (std::size_t j = 0; j < 16; ++j) {
                pin("WDATA[" + std::to_string(j) + "]", ra.wdata[j], rb.wdata[j]);
                pin("MASK[" + std::to_string(j) + "]", ra.mask[j], rb.mask[j]);
                pin("read mask[" + std::to_string(j) + "]", ra.rmask[j], rb.rmask[j]);
            }
            pin("WE", ra.we, rb.we);
            pin("WCLKE", ra.wclke, rb.wclke);
            pin("RE", ra.re, rb.re);
            pin("RCLKE", ra.rclke, rb.rclke);
        }
        std::map<std::string, Net> gate_outputs(a.outputs.begin(), a.outputs.end());
        for (const auto& [port, net] : b.outputs)
            if (gate_outputs.count(port))
                points_.push_back({"output " + port, gate_outputs[port], net});
            else
                missing_output_ = port;
        for (auto& [name, nets] : shared_) {
            if (nets.first)
                gate_shared_[nets.first] = name;
            if (nets.second)
                gold_shared_[nets.second] = name;
        }
    }

public:
    std::string missing_output() {
        points();
        return missing_output_;
    }

private:
    static std::string sanitize(const std::string& port) {
        std::string s;
        for (char c : port)
            s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        return s;
    }
    void share(const std::string& name, Net gate, Net gold) { shared_[name] = {gate, gold}; }

    std::string net_name(Net net, bool is_gate) const {
        if (net == detail::kConst0)
            return "c0";
        if (net == detail::kConst1)
            return "c1";
        const auto& shared = is_gate ? gate_shared_ : gold_shared_;
        if (auto it = shared.find(net); it != shared.end())
            return it->second;
        return (is_gate ? "a" : "b") + std::to_string(net);
    }
    std::string signal(const Point& p, bool is_gate) const {
        if (p.next_state)
            return std::string(is_gate ? "na" : "nb") +
                   std::to_string(is_gate ? p.ff_gate : p.ff_gold);
        return net_name(is_gate ? p.gate : p.gold, is_gate);
    }

    // One side's logic: nodes as covers, each flip-flop's next state, undriven nets as 0 (as
    // the simulator has them).
    void emit_side(std::ostringstream& out, const GateNetlist& n, char prefix, bool is_gate) {
        std::vector<bool> driven(n.names.size(), false);
        driven[detail::kConst0] = driven[detail::kConst1] = true;
        const auto& shared = is_gate ? gate_shared_ : gold_shared_;
        for (const auto& [net, _] : shared)
            driven[net] = true;
        for (const auto& node : n.nodes) {
            if (node.out <= detail::kConst1 || driven[node.out])
                continue; // a second driver of a net: the simulator keeps the first
            driven[node.out] = true;
            std::size_t width = node.in.size();
            std::uint64_t rows =
                width >= 6 ? ~std::uint64_t{0} : (std::uint64_t{1} << (1U << width)) - 1;
            if ((node.table & rows) == 0) { // constant 0: BLIF wants no inputs for an empty cover
                out << ".names " << net_name(node.out, is_gate) << '\n';
                continue;
            }
            out << ".names";
            for (Net in : node.in)
                out << ' ' << net_name(in, is_gate);
            out << ' ' << net_name(node.out, is_gate) << '\n';
            for (std::uint64_t row = 0; row < (std::uint64_t{1} << width); ++row)
                if ((node.table >> row) & 1U) {
                    for (std::size_t j = 0; j < width; ++j)
                        out << (((row >> j) & 1U) ? '1' : '0');
                    out << (width ? " 1\n" : "1\n");
                }
        }
        auto use = [&](Net net) {
            if (!driven[net]) {
                driven[net] = true;
                out << ".names " << net_name(net, is_gate) << '\n';
            }
        };
        for (std::size_t i = 0; i < n.ffs.size(); ++i) {
            const auto& ff = n.ffs[i];
            for (Net net : {ff.d, ff.enable, ff.reset})
                use(net);
            // next = reset ? value : (enable ? d : q)
            out << ".names " << net_name(ff.reset, is_gate) << ' ' << net_name(ff.enable, is_gate)
                << ' ' << net_name(ff.d, is_gate) << ' ' << net_name(ff.q, is_gate) << " n"
                << prefix << i << '\n'
                << (ff.reset_value ? "1--- 1\n" : "") << "011- 1\n00-1 1\n";
        }
        for (const auto& p : points_)
            if (!p.next_state)
                use(is_gate ? p.gate : p.gold);
        for (const auto& node : n.nodes)
            for (Net in : node.in)
                use(in);
    }

    bool value(const detail::LaneSim& sim, const GateNetlist& n, const Point& p,
               bool is_gate) const {
        if (!p.next_state)
            return sim.get(is_gate ? p.gate : p.gold) & 1U;
        const auto& ff = n.ffs[is_gate ? p.ff_gate : p.ff_gold];
        if (sim.get(ff.reset) & 1U)
            return ff.reset_value;
        return (sim.get(ff.enable) & 1U) ? (sim.get(ff.d) & 1U) : (sim.get(ff.q) & 1U);
    }

    const Side& gate_;
    const Side& gold_;
    std::vector<std::size_t> ff_match_, ram_match_;
    std::vector<Point> points_;
    bool built_ = false;
    std::string missing_output_;
    std::map<std::string, std::pair<Net, Net>> shared_;
    std::map<Net, std::string> gate_shared_, gold_shared_;
    std::map<std::string, std::string> input_labels_;
};

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
