// The proof's miter: flip-flops and RAMs matched by name, the compare points, and a
// counterexample replayed on both netlists (proof_miter.h).
#include "harness/equiv/proof_miter.h"

namespace detlab::equiv::detail {

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

std::vector<Net> ram_nets(const GateNetlist::Ram& ram) {
    return {ram.rdata.begin(), ram.rdata.end()};
}

std::string Miter::match(const std::map<std::string, std::vector<std::string>>& aliases) {
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

std::string Miter::initial_difference() const {
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

std::vector<std::string> Miter::differing(const std::map<std::string, bool>& assignment) const {
    auto evaluate = [&](const Side& side, bool is_gate) {
        LaneSim sim(side.netlist);
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

std::string Miter::describe_input(const std::string& name) const {
    auto it = input_labels_.find(name);
    return it == input_labels_.end() ? name : it->second;
}

std::string Miter::missing_output() {
    points();
    return missing_output_;
}

std::set<std::string> Miter::names_of(const Side& side, Net net) const {
    auto it = side.names.find(net);
    return it == side.names.end() ? std::set<std::string>{} : it->second;
}

std::string Miter::ff_label(std::size_t gold_ff) const {
    auto names = names_of(gold_, gold_.netlist.ffs[gold_ff].q);
    return names.empty() ? gold_.netlist.names[gold_.netlist.ffs[gold_ff].q] : *names.begin();
}

std::string Miter::ram_label(std::size_t gate_ram) const {
    return numbered("#", static_cast<long long>(ram_match_[gate_ram]));
}

void Miter::points() {
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
        points_.push_back({"next state of " + ff_label(ff_match_[i]), 0, 0, true, i, ff_match_[i]});
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

std::string Miter::sanitize(const std::string& port) {
    std::string s;
    for (char c : port)
        s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return s;
}

bool Miter::value(const LaneSim& sim, const GateNetlist& n, const Point& p, bool is_gate) const {
    if (!p.next_state)
        return sim.get(is_gate ? p.gate : p.gold) & 1U;
    const auto& ff = n.ffs[is_gate ? p.ff_gate : p.ff_gold];
    if (sim.get(ff.reset) & 1U)
        return ff.reset_value;
    return (sim.get(ff.enable) & 1U) ? (sim.get(ff.d) & 1U) : (sim.get(ff.q) & 1U);
}

} // namespace detlab::equiv::detail
