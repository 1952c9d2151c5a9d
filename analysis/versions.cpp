// The toolchain-version view: the runs of a `tools` study (same RTL, same seed, one build per
// toolchain root) side by side, each against the study's first toolchain: identical outputs or
// not, bit distance of the bitstream, the synthesised netlist's cell distance, functional
// distance, and QoR (cells, Fmax, per-stage time and memory) with the versions that made them.
#include "analysis/internal.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace detlab::analysis {
namespace {

using detail::sha_of;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double metric(const RunData& run, const std::string& key) {
    auto it = run.final_metrics.find(key);
    return it == run.final_metrics.end() ? kNaN : it->second;
}

// "Yosys 0.52 (git sha1 fee39a3)" -> "yosys 0.52"; nextpnr's and dpkg's lines likewise short.
std::string short_version(const std::string& key, const std::string& line) {
    std::string text = line.substr(0, line.find('\n'));
    if (key == "tool.yosys" && text.starts_with("Yosys "))
        return "yosys " + text.substr(6, text.find(' ', 6) - 6);
    if (auto at = text.find("(Version "); at != std::string::npos)
        return "nextpnr-ice40 " + text.substr(at + 9, text.find(')', at) - at - 9);
    return text;
}

std::string versions_of(const db::Store& store, const RunData& run) {
    auto provenance = store.provenance(run.row.id);
    std::string out;
    for (const char* key : {"tool.yosys", "tool.nextpnr-ice40", "tool.icepack"})
        if (auto it = provenance.find(key); it != provenance.end())
            out += (out.empty() ? "" : "; ") + short_version(key, it->second);
    return out.empty() ? "not recorded" : out;
}

std::optional<double> functional(const RunData& a, const RunData& b, detail::BlobCache& blobs) {
    std::string sa = sha_of(a, "equiv_outputs.bin"), sb = sha_of(b, "equiv_outputs.bin");
    if (sa.empty() || sb.empty())
        return std::nullopt;
    const Bytes &x = blobs.get(sa), &y = blobs.get(sb);
    double vectors = metric(a, "equiv_vectors");
    std::size_t words = x.size() / 4, per_vector = 1;
    if (vectors >= 1 && words % static_cast<std::size_t>(vectors) == 0)
        per_vector = words / static_cast<std::size_t>(vectors);
    return output_disagreement(x, y, per_vector);
}

// Why two runs have no functional distance: a run no check ran on, or one whose check ran
// and recorded why it could not simulate (then "detlab run --equiv N" would not help).
std::string functional_missing(const RunData& a, const RunData& b, detail::BlobCache& blobs) {
    for (const RunData* run : {&a, &b}) {
        if (!sha_of(*run, "equiv_outputs.bin").empty())
            continue;
        std::string sha = sha_of(*run, "equiv_result.json");
        if (sha.empty())
            return "not measured (no check ran: experiment key equiv_vectors, detlab run --equiv "
                   "N, or detlab equiv --experiment)";
        const Bytes& bytes = blobs.get(sha);
        auto json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
        std::string reason = json.is_object() ? json.value("reason", std::string()) : "";
        return "not measured (the check ran on run " + run->row.id + " but did not simulate: " +
               (reason.empty() ? std::string("no reason recorded") : reason) + ")";
    }
    return "not measured";
}

std::string printf_string(const char* format, double value) {
    if (std::isnan(value))
        return "not measured";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, value);
    return buffer;
}

} // namespace

const std::vector<std::string>& version_metrics() {
    using namespace db::metric;
    static const std::vector<std::string> keys{kLogicCells,
                                               kRamBlocks,
                                               kFmaxMhz,
                                               kFmaxIcetimeMhz,
                                               stage_wall_s("yosys"),
                                               stage_cpu_s("yosys"),
                                               stage_max_rss_kib("yosys"),
                                               stage_wall_s("nextpnr"),
                                               stage_cpu_s("nextpnr"),
                                               stage_max_rss_kib("nextpnr"),
                                               stage_wall_s("icepack"),
                                               stage_wall_s("icetime"),
                                               kToolsWallS};
    return keys;
}

std::vector<ToolchainVersion> toolchain_versions(const db::Store& store,
                                                 const std::optional<std::string>& experiment) {
    detail::BlobCache blobs(store);
    std::vector<ToolchainVersion> out;
    for (const auto& group : group_runs(load_runs(store, experiment))) {
        if (db::run_kind(group.kind) != db::RunKind::toolchain || group.factor != "tools")
            continue;
        std::map<std::string, std::vector<const RunData*>> by_tools;
        std::vector<std::string> order;
        for (const auto& run : group.runs) {
            std::string tools = run.param("tools", "system");
            if (!by_tools.contains(tools))
                order.push_back(tools);
            by_tools[tools].push_back(&run);
        }
        std::map<std::string, std::size_t> failed;
        for (const auto& run : group.failed)
            ++failed[run.param("tools", "system")];
        const RunData* reference = order.empty() ? nullptr : by_tools[order.front()].front();
        for (const auto& tools : order) {
            const auto& runs = by_tools[tools];
            ToolchainVersion v;
            v.experiment = group.experiment;
            v.study = group.study;
            v.tools = tools;
            v.versions = versions_of(store, *runs.front());
            v.runs = runs.size();
            v.failed = failed[tools];
            v.reference = runs.front() == reference;
            for (const auto& key : version_metrics()) {
                std::vector<double> values;
                for (const auto* run : runs)
                    values.push_back(metric(*run, key));
                v.metrics[key] = summarize(values);
            }
            const RunData& a = *reference;
            const RunData& b = *runs.front();
            auto same = [&](const char* artifact) -> std::optional<bool> {
                std::string sa = sha_of(a, artifact), sb = sha_of(b, artifact);
                if (sa.empty() || sb.empty())
                    return std::nullopt;
                return sa == sb;
            };
            v.identical_netlist = same(db::artifact::kNetlist);
            v.identical_bin = same(db::artifact::kBitstream);
            try { // a damaged blob leaves these distances "not measured"
                if (!sha_of(a, db::artifact::kBitstream).empty() &&
                    !sha_of(b, db::artifact::kBitstream).empty())
                    v.bits = bitstream_distance(blobs.get(sha_of(a, db::artifact::kBitstream)),
                                                blobs.get(sha_of(b, db::artifact::kBitstream)));
                if (!sha_of(a, db::artifact::kNetlist).empty() &&
                    !sha_of(b, db::artifact::kNetlist).empty()) {
                    const Bytes& na = blobs.get(sha_of(a, db::artifact::kNetlist));
                    const Bytes& nb = blobs.get(sha_of(b, db::artifact::kNetlist));
                    try {
                        v.netlist = netlist_distance(
                            std::string_view(reinterpret_cast<const char*>(na.data()), na.size()),
                            std::string_view(reinterpret_cast<const char*>(nb.data()), nb.size()));
                    } catch (const std::runtime_error&) {
                        // not a yosys netlist: the distance stays "not measured"
                    } catch (const nlohmann::json::exception&) {
                        // a module or cell that is not an object: not a yosys netlist either
                    }
                }
                v.functional = functional(a, b, blobs);
                if (!v.functional)
                    v.functional_missing = functional_missing(a, b, blobs);
            } catch (const db::BlobCorrupt&) {
            }
            out.push_back(std::move(v));
        }
    }
    return out;
}

std::string format_toolchain_versions(const std::vector<ToolchainVersion>& rows, Format format) {
    auto mean = [](const ToolchainVersion& v, const std::string& key, const char* fmt,
                   double scale = 1) {
        const Summary& s = v.metrics.at(key);
        if (s.n == 0)
            return std::string("not measured");
        std::string text = printf_string(fmt, s.mean * scale);
        text += s.n > 1 ? " (sd " + printf_string(fmt, s.std * scale) +
                              ", n=" + std::to_string(s.n) + ")"
                        : std::string(" (n=1)");
        return text;
    };
    auto yes_no = [](std::optional<bool> b) {
        return b ? (*b ? "identical" : "differs") : "not measured";
    };
    std::ostringstream out;
    if (format == Format::json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& v : rows) {
            nlohmann::json row{
                {"experiment", v.experiment}, {"study", v.study}, {"tools", v.tools},
                {"versions", v.versions},     {"runs", v.runs},   {"failed", v.failed},
                {"reference", v.reference}};
            for (const auto& [key, s] : v.metrics)
                if (s.n > 0)
                    row["metrics"][key] = {{"mean", s.mean}, {"std", s.std}, {"n", s.n}};
            if (v.identical_netlist)
                row["identical_netlist"] = *v.identical_netlist;
            if (v.identical_bin)
                row["identical_bin"] = *v.identical_bin;
            if (v.bits)
                row["bit_distance"] = {{"differing_bits", v.bits->bits.differing_bits},
                                       {"total_bits", v.bits->bits.total_bits},
                                       {"over", v.bits->over}};
            if (v.netlist)
                row["netlist_cell_distance"] = {{"fraction", v.netlist->fraction()},
                                                {"cells_reference", v.netlist->cells_a},
                                                {"cells", v.netlist->cells_b}};
            if (v.functional)
                row["functional_distance"] = *v.functional;
            list.push_back(row);
        }
        return list.dump(2) + "\n";
    }
    for (const auto& v : rows) {
        out << "toolchain " << v.tools << " (" << v.versions << ") in " << v.experiment << "/"
            << v.study << ": " << v.runs << " run(s)"
            << (v.failed ? ", " + std::to_string(v.failed) + " failed" : std::string()) << "\n";
        out << "  cells " << mean(v, db::metric::kLogicCells, "%.0f") << " LC, "
            << mean(v, db::metric::kRamBlocks, "%.0f") << " RAM;  Fmax "
            << mean(v, db::metric::kFmaxMhz, "%.2f") << " MHz (nextpnr), "
            << mean(v, db::metric::kFmaxIcetimeMhz, "%.2f") << " MHz (icetime)\n";
        out << "  wall s  yosys " << mean(v, db::metric::stage_wall_s("yosys"), "%.2f")
            << "  nextpnr " << mean(v, db::metric::stage_wall_s("nextpnr"), "%.2f") << "  icepack "
            << mean(v, db::metric::stage_wall_s("icepack"), "%.2f") << "  icetime "
            << mean(v, db::metric::stage_wall_s("icetime"), "%.2f") << "  total "
            << mean(v, db::metric::kToolsWallS, "%.2f") << "\n";
        out << "  peak RSS MiB  yosys "
            << mean(v, db::metric::stage_max_rss_kib("yosys"), "%.0f", 1.0 / 1024) << "  nextpnr "
            << mean(v, db::metric::stage_max_rss_kib("nextpnr"), "%.0f", 1.0 / 1024) << "\n";
        if (v.reference) {
            out << "  (the reference the other toolchains are compared with)\n";
            continue;
        }
        out << "  vs the reference: netlist " << yes_no(v.identical_netlist);
        if (v.netlist)
            out << " (cell-type distance " << printf_string("%.2f%%", 100 * v.netlist->fraction())
                << ": " << v.netlist->cells_a << " vs " << v.netlist->cells_b << " cells, "
                << v.netlist->changed_types.size() << " cell types changed)";
        out << "; .bin " << yes_no(v.identical_bin);
        if (v.bits)
            out << " (" << v.bits->bits.differing_bits << " of " << v.bits->bits.total_bits
                << " bits differ, " << printf_string("%.3g%%", 100 * v.bits->bits.hamming())
                << ", over " << v.bits->over << ")";
        out << "; functional distance "
            << (v.functional                   ? printf_string("%.3g%%", 100 * *v.functional)
                : v.functional_missing.empty() ? std::string("not measured")
                                               : v.functional_missing)
            << "\n";
    }
    return out.str();
}

} // namespace detlab::analysis
