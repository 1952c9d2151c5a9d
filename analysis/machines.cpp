// The cross-machine view: observations of one configuration from several machines compared.
#include "analysis/analysis.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

namespace detlab::analysis {
namespace {

// The artifact whose bytes say whether two observations gave the same output.
const char* output_artifact(const std::string& kind) {
    return db::run_kind(kind) == db::RunKind::toolchain ? db::artifact::kBitstream
                                                        : db::artifact::kWeights;
}

Machine machine_of(const db::Store& store, const db::RunRow& row) {
    return machine_from_provenance(row.host, store.provenance(row.id), store.store_id());
}

struct Observation {
    db::RunRow row;
    Machine machine;
    std::string output_sha;
};

// An observation's output bytes; nullopt (and the damage noted once per run) when they cannot
// be read back, so one damaged blob costs its pairs' distances and nothing else.
std::optional<Bytes> output_bytes(const db::Store& store, const Observation& observation,
                                  std::vector<DamagedRun>& damaged) {
    std::string problem;
    try {
        return store.get_blob(observation.output_sha);
    } catch (const db::BlobCorrupt& error) {
        problem = error.what();
    } catch (const std::out_of_range&) {
        problem = "blob " + observation.output_sha + " is missing";
    }
    bool noted = false;
    for (const auto& d : damaged)
        noted = noted || d.run_id == observation.row.id;
    if (!noted)
        damaged.push_back({observation.row.id, output_artifact(observation.row.kind), problem});
    return std::nullopt;
}

// Fraction of differing bits between two observations' outputs; nullopt when unreadable.
std::optional<double> output_distance(const db::Store& store, const Observation& a,
                                      const Observation& b, std::vector<DamagedRun>& damaged) {
    if (a.output_sha == b.output_sha)
        return 0.0;
    auto bytes_a = output_bytes(store, a, damaged);
    auto bytes_b = output_bytes(store, b, damaged);
    if (!bytes_a || !bytes_b)
        return std::nullopt;
    try {
        if (db::run_kind(a.row.kind) == db::RunKind::toolchain)
            return bitstream_distance(*bytes_a, *bytes_b).bits.hamming();
        return weight_distance(decode_tensors(*bytes_a, a.output_sha),
                               decode_tensors(*bytes_b, b.output_sha))
            .differing_bit_fraction();
    } catch (const std::runtime_error&) {
        // Verified bytes that are no tensor file, or tensor files of different shapes: no
        // distance. (decode_tensors and weight_distance throw runtime_error; an InternalError
        // is a logic_error and goes on.)
        return std::nullopt;
    }
}

std::string label_of(const db::Store& store, const db::RunRow& row) {
    std::string study, value;
    for (const auto& [key, text] : store.params(row.id)) {
        if (key == db::param::kStudy)
            study = text;
        else if (key == db::param::kFactorValue)
            value = text;
    }
    if (study.empty())
        return row.experiment + " (" + row.config_id + ")";
    return row.experiment + "/" + study + " " + value;
}

MachineComparison compare_one(const db::Store& store, std::vector<Observation>& observations) {
    MachineComparison out;
    const auto& first = observations.front().row;
    out.kind = first.kind;
    out.config_id = first.config_id;
    out.label = label_of(store, first);
    out.observations = observations.size();
    for (const auto& observation : observations)
        if (std::find(out.machines.begin(), out.machines.end(), observation.machine) ==
            out.machines.end())
            out.machines.push_back(observation.machine);
    std::sort(out.machines.begin(), out.machines.end());
    for (const auto& machine : out.machines)
        out.tools_differ = out.tools_differ || machine.tools != out.machines.front().tools;
    std::vector<double> distances;
    for (std::size_t i = 0; i < observations.size(); ++i)
        for (std::size_t j = i + 1; j < observations.size(); ++j) {
            const auto& a = observations[i];
            const auto& b = observations[j];
            bool identical = a.output_sha == b.output_sha;
            if (a.machine == b.machine) {
                ++out.within_pairs;
                out.within_identical += identical ? 1 : 0;
                continue;
            }
            ++out.cross_pairs;
            out.cross_identical += identical ? 1 : 0;
            if (auto distance = output_distance(store, a, b, out.damaged))
                distances.push_back(*distance);
        }
    out.cross_distance = summarize(distances);
    return out;
}

std::string machine_text(const Machine& machine) {
    return machine.label() + " " + machine.host + " [" + machine.cpu + "]";
}

// "yosys 0.23; nextpnr-ice40 0.4" -> {yosys: 0.23, nextpnr-ice40: 0.4}
std::map<std::string, std::string> tool_versions(const std::string& tools) {
    std::map<std::string, std::string> out;
    for (std::size_t start = 0; start < tools.size();) {
        auto end = tools.find("; ", start);
        std::string entry = tools.substr(start, end == std::string::npos ? end : end - start);
        auto space = entry.find(' ');
        out[entry.substr(0, space)] = space == std::string::npos ? "" : entry.substr(space + 1);
        start = end == std::string::npos ? tools.size() : end + 2;
    }
    return out;
}

// The tools whose versions are not the same on every machine of the comparison, with this
// machine's version of each: what the lab asks when outputs differ across machines.
std::string differing_versions(const Machine& machine, const std::vector<Machine>& all) {
    auto mine = tool_versions(machine.tools);
    std::set<std::string> names;
    for (const auto& other : all)
        for (const auto& [name, version] : tool_versions(other.tools))
            names.insert(name);
    std::string out;
    for (const auto& name : names) {
        bool differs = false;
        for (const auto& other : all) {
            auto theirs = tool_versions(other.tools);
            auto a = mine.find(name), b = theirs.find(name);
            differs = differs || (a == mine.end()) != (b == theirs.end()) ||
                      (a != mine.end() && a->second != b->second);
        }
        if (differs) {
            auto it = mine.find(name);
            out += (out.empty() ? "" : "; ") + name + " " +
                   (it == mine.end() ? std::string("(not recorded)") : it->second);
        }
    }
    return out;
}

std::string count_text(std::size_t part, std::size_t whole) {
    return whole == 0 ? std::string("no pairs")
                      : std::to_string(part) + "/" + std::to_string(whole);
}

std::string distance_text(const Summary& distance) {
    if (distance.n == 0)
        return "not measured";
    char text[64];
    std::snprintf(text, sizeof text, "%.3g%% (n=%zu pairs)", 100 * distance.mean, distance.n);
    return text;
}

std::vector<std::string> damaged_texts(const MachineComparison& row) {
    std::vector<std::string> out;
    for (const auto& d : row.damaged)
        out.push_back(d.text());
    return out;
}

} // namespace

bool Machine::operator<(const Machine& other) const {
    return std::tie(host, cpu, tools, session) <
           std::tie(other.host, other.cpu, other.tools, other.session);
}

std::string Machine::label() const {
    std::string label = host + " #" + sha256_hex(std::string_view(cpu + "\n" + tools)).substr(0, 6);
    return session.empty() ? label : label + " s" + session.substr(0, 6);
}

Machine machine_from_provenance(const std::string& host,
                                const std::map<std::string, std::string>& provenance,
                                const std::string& store_id) {
    Machine machine;
    auto find = [&](const std::string& key) {
        auto it = provenance.find(key);
        return it == provenance.end() ? std::string() : it->second;
    };
    machine.host = host.empty() ? find("host") : host;
    machine.cpu = find("cpu.model");
    machine.session = find(db::kStoreIdProvenance);
    if (machine.session.empty())
        machine.session = store_id;
    // A toolchain run's FPGA tools (tool.* beside tools.root) are chosen by its configuration's
    // `tools` key: a `tools` study compares them within one machine, and the versions block
    // shows them. The machine keeps the versions the configuration does not choose.
    bool chosen_toolchain = provenance.contains("tools.root");
    auto fpga_tool = [](const std::string& key) {
        for (const char* prefix : {"tool.yosys", "tool.nextpnr", "tool.ice", "tool.ecp"})
            if (key.rfind(prefix, 0) == 0)
                return true;
        return false;
    };
    std::string tools;
    for (const auto& [key, value] : provenance)
        if (key.rfind("tool.", 0) == 0 && !(chosen_toolchain && fpga_tool(key)))
            tools += (tools.empty() ? "" : "; ") + key.substr(5) + " " +
                     value.substr(0, value.find('\n'));
    machine.tools = tools;
    return machine;
}

std::vector<MachineComparison> compare_machines(const db::Store& store,
                                                const std::optional<std::string>& experiment) {
    db::RunFilter filter;
    filter.status = db::kStatusDone;
    std::map<std::pair<std::string, std::string>, std::vector<Observation>> by_config;
    std::set<std::pair<std::string, std::string>> in_experiment;
    for (auto& row : store.runs(filter)) {
        auto kind = db::run_kind(row.kind);
        if (kind != db::RunKind::toolchain && kind != db::RunKind::train)
            continue;
        auto artifacts = store.artifacts(row.id);
        auto output = artifacts.find(output_artifact(row.kind));
        if (output == artifacts.end())
            continue;
        std::pair key{row.kind, row.config_id};
        if (!experiment || row.experiment == *experiment)
            in_experiment.insert(key);
        Observation observation{row, machine_of(store, row), output->second};
        by_config[key].push_back(std::move(observation));
    }
    std::vector<MachineComparison> rows;
    for (auto& [key, observations] : by_config) {
        if (!in_experiment.contains(key))
            continue;
        auto comparison = compare_one(store, observations);
        if (comparison.machines.size() >= 2)
            rows.push_back(std::move(comparison));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return std::tie(a.kind, a.label, a.config_id) < std::tie(b.kind, b.label, b.config_id);
    });
    return rows;
}

std::string format_machines(const std::vector<MachineComparison>& rows, Format format) {
    std::ostringstream out;
    if (format == Format::json) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& r : rows) {
            nlohmann::json machines = nlohmann::json::array();
            for (const auto& m : r.machines)
                machines.push_back({{"label", m.label()},
                                    {"host", m.host},
                                    {"cpu", m.cpu},
                                    {"tools", m.tools},
                                    {"versions_that_differ", differing_versions(m, r.machines)}});
            all.push_back(
                {{"kind", r.kind},
                 {"config_id", r.config_id},
                 {"label", r.label},
                 {"machines", machines},
                 {"observations", r.observations},
                 {"cross_pairs", r.cross_pairs},
                 {"cross_identical", r.cross_identical},
                 {"within_pairs", r.within_pairs},
                 {"within_identical", r.within_identical},
                 {"cross_distance_mean", r.cross_distance.n ? nlohmann::json(r.cross_distance.mean)
                                                            : nlohmann::json(nullptr)},
                 {"tools_differ", r.tools_differ},
                 {"damaged", damaged_texts(r)}});
        }
        return all.dump(2) + "\n";
    }
    if (format == Format::csv) {
        out << "kind,config_id,label,machines,observations,cross_pairs,cross_identical,"
               "within_pairs,within_identical,cross_distance_mean,tools_differ\r\n";
        for (const auto& r : rows) {
            std::string names;
            for (const auto& m : r.machines)
                names += (names.empty() ? "" : "; ") + machine_text(m);
            out << r.kind << "," << r.config_id << "," << csv_cell(r.label) << ","
                << csv_cell(names) << "," << r.observations << "," << r.cross_pairs << ","
                << r.cross_identical << "," << r.within_pairs << "," << r.within_identical << ","
                << (r.cross_distance.n ? std::to_string(r.cross_distance.mean) : "") << ","
                << (r.tools_differ ? "true" : "false") << "\r\n";
        }
        return out.str();
    }
    out << "Across machines: configurations observed on two or more machines\n";
    for (const auto& r : rows) {
        out << "  " << r.kind << "  " << r.label << "  (" << r.config_id << ", " << r.observations
            << " observations on " << r.machines.size() << " machines"
            << (r.tools_differ ? ", tool versions differ" : "") << ")\n"
            << "    identical across machines " << count_text(r.cross_identical, r.cross_pairs)
            << " pairs, bit distance " << distance_text(r.cross_distance)
            << "; identical within a machine " << count_text(r.within_identical, r.within_pairs)
            << " pairs\n";
        for (const auto& m : r.machines) {
            out << "    machine " << machine_text(m) << "\n";
            if (auto versions = differing_versions(m, r.machines); !versions.empty())
                out << "      versions that differ: " << versions << "\n";
        }
        for (const auto& text : damaged_texts(r))
            out << "    WARNING: " << text << ": left out of the bit distance\n";
    }
    return out.str();
}

} // namespace detlab::analysis
