// The cell-mix distance of two synthesised netlists (yosys JSON): names are ignored, only how
// many cells of each type each side has.
#include "analysis/distance/distance.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace detlab::analysis {
namespace {

std::map<std::string, long> cell_types(std::string_view json_text) {
    auto json = nlohmann::json::parse(json_text, nullptr, false);
    if (json.is_discarded() || !json.contains("modules") || !json["modules"].is_object())
        throw std::runtime_error("not a yosys JSON netlist");
    std::map<std::string, long> types;
    for (const auto& [name, module] : json["modules"].items()) {
        // Library cell models (SB_LUT4, ...) that yosys writes as blackboxes are not the design.
        if (module.contains("attributes") && module["attributes"].contains("blackbox"))
            continue;
        if (module.contains("cells") && module["cells"].is_object())
            for (const auto& [cell, body] : module["cells"].items())
                ++types[body.value("type", std::string("?"))];
    }
    return types;
}

} // namespace

double NetlistDistance::fraction() const {
    double cells = static_cast<double>(cells_a + cells_b);
    return cells == 0 ? 0.0 : static_cast<double>(type_difference) / cells;
}

NetlistDistance netlist_distance(std::string_view a_json, std::string_view b_json) {
    NetlistDistance d;
    auto a = cell_types(a_json), b = cell_types(b_json);
    std::set<std::string> types;
    for (const auto& [type, n] : a)
        types.insert(type);
    for (const auto& [type, n] : b)
        types.insert(type);
    for (const auto& type : types) {
        long na = a.contains(type) ? a[type] : 0, nb = b.contains(type) ? b[type] : 0;
        d.cells_a += static_cast<std::uint64_t>(na);
        d.cells_b += static_cast<std::uint64_t>(nb);
        d.type_difference += static_cast<std::uint64_t>(std::labs(na - nb));
        if (na != nb)
            d.changed_types[type] = {na, nb};
    }
    return d;
}

} // namespace detlab::analysis
