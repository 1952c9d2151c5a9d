// Private to harness/equiv: the proof's miter (proof.cpp says how the proof works). Both
// netlists' flip-flops and RAMs are matched by name and become shared free variables; the miter
// is 1 when any compare point (next state, RAM input pin, output) differs. Matching and compare
// points: proof_match.cpp; the BLIF the solver reads: proof_blif.cpp.
#pragma once

#include "harness/equiv/internal.h"

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::equiv::detail {

// `prefix` followed by `number` ("d3", "$17"). Built by appending: GCC 12 warns (-Wrestrict, a
// false positive) on `"d" + std::to_string(n)` once the proof's helpers are inlined into it.
inline std::string numbered(std::string_view prefix, long long number) {
    std::string name(prefix);
    name += std::to_string(number);
    return name;
}

struct Side {
    GateNetlist netlist;
    std::map<Net, std::set<std::string>> names; // the synthesised names a net carries
};

// The synthesised element a bitstream net's aliases name: the unique one or -1.
int unique_match(const std::vector<std::string>& aliases,
                 const std::map<std::string, int>& by_name);

// A RAM is known by the names of its read data (its own outputs; address and write data nets
// may be shared with other RAMs).
std::vector<Net> ram_nets(const GateNetlist::Ram& ram);

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
    std::string match(const std::map<std::string, std::vector<std::string>>& aliases);

    std::size_t ffs() const { return ff_match_.size(); }
    std::size_t rams() const { return ram_match_.size(); }

    // Initial contents that differ are a difference at power-up ("" when equal).
    std::string initial_difference() const;

    // The miter as BLIF: one output, 1 when any compare point differs.
    std::string blif();

    // Compare points that differ under a counterexample (shared input name -> value).
    std::vector<std::string> differing(const std::map<std::string, bool>& assignment) const;

    std::size_t compare_points() const { return points_.size(); }
    // A shared input's meaning for people ("state of <ff>", "input <port>").
    std::string describe_input(const std::string& name) const;
    // A synthesised output the bitstream lacks ("" when none).
    std::string missing_output();

private:
    std::set<std::string> names_of(const Side& side, Net net) const;
    std::string ff_label(std::size_t gold_ff) const;
    std::string ram_label(std::size_t gate_ram) const;

    // Shared free variables: name -> (gate net, gold net); 0 where a side lacks it.
    const std::map<std::string, std::pair<Net, Net>>& shared_inputs() const { return shared_; }

    void points();

    static std::string sanitize(const std::string& port);
    void share(const std::string& name, Net gate, Net gold) { shared_[name] = {gate, gold}; }

    std::string net_name(Net net, bool is_gate) const;
    std::string signal(const Point& p, bool is_gate) const;

    // One side's logic: nodes as covers, each flip-flop's next state, undriven nets as 0 (as
    // the simulator has them).
    void emit_side(std::ostringstream& out, const GateNetlist& n, char prefix, bool is_gate);

    bool value(const LaneSim& sim, const GateNetlist& n, const Point& p, bool is_gate) const;

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

} // namespace detlab::equiv::detail
