// The proof's miter written as BLIF for yosys-abc (proof_miter.h): both sides' logic, one XOR
// per compare point and an OR tree to the single output "differ".
#include "harness/equiv/proof_miter.h"

namespace detlab::equiv::detail {

std::string Miter::blif() {
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
        std::string d = numbered("d", static_cast<long long>(i));
        out << ".names " << signal(points_[i], true) << ' ' << signal(points_[i], false) << ' ' << d
            << "\n10 1\n01 1\n";
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

std::string Miter::net_name(Net net, bool is_gate) const {
    if (net == kConst0)
        return "c0";
    if (net == kConst1)
        return "c1";
    const auto& shared = is_gate ? gate_shared_ : gold_shared_;
    if (auto it = shared.find(net); it != shared.end())
        return it->second;
    return numbered(is_gate ? "a" : "b", static_cast<long long>(net));
}

std::string Miter::signal(const Point& p, bool is_gate) const {
    if (p.next_state)
        return std::string(is_gate ? "na" : "nb") + std::to_string(is_gate ? p.ff_gate : p.ff_gold);
    return net_name(is_gate ? p.gate : p.gold, is_gate);
}

void Miter::emit_side(std::ostringstream& out, const GateNetlist& n, char prefix, bool is_gate) {
    std::vector<bool> driven(n.names.size(), false);
    driven[kConst0] = driven[kConst1] = true;
    const auto& shared = is_gate ? gate_shared_ : gold_shared_;
    for (const auto& [net, _] : shared)
        driven[net] = true;
    for (const auto& node : n.nodes) {
        if (node.out <= kConst1 || driven[node.out])
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
            << ' ' << net_name(ff.d, is_gate) << ' ' << net_name(ff.q, is_gate) << " n" << prefix
            << i << '\n'
            << (ff.reset_value ? "1--- 1\n" : "") << "011- 1\n00-1 1\n";
    }
    for (const auto& p : points_)
        if (!p.next_state)
            use(is_gate ? p.gate : p.gold);
    for (const auto& node : n.nodes)
        for (Net in : node.in)
            use(in);
}

} // namespace detlab::equiv::detail
