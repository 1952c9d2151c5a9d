// Reading what the tools say: nextpnr's JSON report, icetime's timing line, error text.
#include "harness/toolchain/internal.h"

#include <regex>
#include <sstream>

namespace detlab::toolchain::detail {

NextpnrReport parse_nextpnr_report(const std::string& json_text) {
    NextpnrReport report;
    auto json = nlohmann::json::parse(json_text, nullptr, false);
    if (json.is_discarded())
        return report;
    if (json.contains("fmax") && json["fmax"].is_object())
        for (const auto& [clock, timing] : json["fmax"].items())
            if (timing.contains("achieved") && timing["achieved"].is_number()) {
                double achieved = timing["achieved"].get<double>();
                if (!report.fmax_mhz || achieved < *report.fmax_mhz)
                    report.fmax_mhz = achieved;
            }
    if (json.contains("utilization") && json["utilization"].is_object())
        for (const auto& [cell, usage] : json["utilization"].items())
            if (usage.contains("used") && usage["used"].is_number_integer())
                report.used[cell] = usage["used"].get<long>();
    return report;
}

std::optional<double> parse_icetime_mhz(const std::string& output) {
    // "Total path delay: 12.19 ns (82.03 MHz)"
    static const std::regex line(R"(Total path delay: *[0-9.]+ ns \(([0-9.]+) MHz\))");
    std::smatch match;
    if (!std::regex_search(output, match, line))
        return std::nullopt;
    return std::stod(match[1].str());
}

std::string tool_error_text(const std::string& out, const std::string& err) {
    std::vector<std::string> error_lines, last_lines;
    for (const std::string* stream : {&out, &err}) {
        std::istringstream lines(*stream);
        std::string line;
        while (std::getline(lines, line)) {
            if (line.find("ERROR") != std::string::npos || line.starts_with("Error"))
                error_lines.push_back(line);
            if (stream == &err || err.empty())
                last_lines.push_back(line);
        }
    }
    const auto& chosen = error_lines.empty() ? last_lines : error_lines;
    std::size_t from = chosen.size() > 10 ? chosen.size() - 10 : 0;
    std::string text;
    for (std::size_t i = from; i < chosen.size(); ++i)
        text += (text.empty() ? "" : "\n") + chosen[i];
    return text;
}

} // namespace detlab::toolchain::detail
