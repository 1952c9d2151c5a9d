// Loading runs from the store and grouping them by the factor under study.
#include "analysis/analysis.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

namespace detlab::analysis {
namespace {

bool seed_like(const std::string& key) {
    return key.find("seed") != std::string::npos;
}

bool sweep_param(const std::string& key) {
    return key == db::param::kStudy || key == db::param::kFactor || key == db::param::kFactorValue;
}

// Ad-hoc runs: the params that must match for two runs to be compared.
std::string adhoc_key(const RunData& run) {
    nlohmann::json fixed = nlohmann::json::object();
    for (const auto& [key, value] : run.params)
        if (!seed_like(key) && !sweep_param(key))
            fixed[key] = value;
    return fixed.dump();
}

std::string seed_values(const RunData& run) {
    std::string out;
    for (const auto& [key, value] : run.params)
        if (seed_like(key))
            out += key + "=" + value + ";";
    return out;
}

// Numbers sort as numbers, everything else as text.
bool factor_less(const RunData& a, const RunData& b) {
    std::string va = a.param(db::param::kFactorValue), vb = b.param(db::param::kFactorValue);
    auto ja = nlohmann::json::parse(va, nullptr, false);
    auto jb = nlohmann::json::parse(vb, nullptr, false);
    if (ja.is_number() && jb.is_number() && ja != jb)
        return ja.get<double>() < jb.get<double>();
    return std::tie(va, a.row.repeat, a.row.id) < std::tie(vb, b.row.repeat, b.row.id);
}

// A sweep's slot: one configuration at one repeat index in one study of one experiment.
// Observations of different machines or sessions never share a slot: each one's sweep is its own.
std::string study_of(const RunData& run) {
    return run.row.experiment + "\n" + run.row.kind + "\n" + run.param(db::param::kStudy) + "\n" +
           run.machine.host + "\n" + run.machine.cpu + "\n" + run.machine.tools + "\n" +
           run.machine.session;
}

std::string slot_of(const RunData& run) {
    return study_of(run) + "\n" + run.row.config_json + "\n" + std::to_string(run.row.repeat);
}

// Which observation of a slot the group uses: a done one before a failed one, then the most
// recent (after an edited input is built again, its new observation speaks for the slot).
bool preferred(const RunData& a, const RunData& b) {
    bool a_done = a.row.status == db::kStatusDone, b_done = b.row.status == db::kStatusDone;
    if (a_done != b_done)
        return a_done;
    return std::tie(a.row.started_at, a.row.id) > std::tie(b.row.started_at, b.row.id);
}

} // namespace

std::string RunData::param(const std::string& key, const std::string& fallback) const {
    auto it = params.find(key);
    return it == params.end() ? fallback : it->second;
}

std::string DamagedRun::text() const {
    return "run " + run_id + ": " + artifact + " is damaged (" + problem + ")";
}

std::string Group::label() const {
    return study + " (" + factor + ")";
}

std::vector<RunData> load_runs(const db::Store& store,
                               const std::optional<std::string>& experiment) {
    db::RunFilter filter;
    filter.experiment = experiment;
    std::vector<RunData> out;
    const std::string session = store.store_id(); // of runs recorded here (not merged in)
    for (auto& row : store.runs(filter)) {
        RunData run;
        run.row = row;
        for (auto& [key, value] : store.params(row.id))
            run.params[key] = value;
        for (auto& metric : store.metrics(row.id)) {
            if (metric.step == 0)
                run.final_metrics[metric.key] = metric.value;
            else
                run.curves[metric.key].emplace_back(metric.step, metric.value);
        }
        for (auto& [key, curve] : run.curves)
            std::sort(curve.begin(), curve.end());
        run.artifacts = store.artifacts(row.id);
        run.machine = machine_from_provenance(row.host, store.provenance(row.id), session);
        out.push_back(std::move(run));
    }
    return out;
}

std::vector<Group> group_runs(std::vector<RunData> all_runs) {
    // One observation per slot of a study; the rest are counted (and compared elsewhere).
    std::map<std::string, std::size_t> best;
    std::map<std::string, std::size_t> further;
    for (std::size_t i = 0; i < all_runs.size(); ++i) {
        if (all_runs[i].param(db::param::kStudy).empty())
            continue; // ad hoc runs: every observation has its own repeat index
        auto slot = slot_of(all_runs[i]);
        auto [it, inserted] = best.emplace(slot, i);
        if (!inserted) {
            ++further[study_of(all_runs[i])];
            if (preferred(all_runs[i], all_runs[it->second]))
                it->second = i;
        }
    }
    std::vector<RunData> runs;
    for (std::size_t i = 0; i < all_runs.size(); ++i)
        if (all_runs[i].param(db::param::kStudy).empty() || best.at(slot_of(all_runs[i])) == i)
            runs.push_back(std::move(all_runs[i]));
    using GroupId = std::tuple<std::string, std::string, std::string, Machine>;
    std::map<GroupId, Group> groups;
    std::map<GroupId, std::string> adhoc_first_seed;
    for (auto& run : runs) {
        // Only these two kinds have a per-group summary; e.g. model_on_bitstream runs are
        // shown in their own report section and would otherwise become empty groups.
        auto kind = db::run_kind(run.row.kind);
        if (kind != db::RunKind::toolchain && kind != db::RunKind::train)
            continue;
        std::string study = run.param(db::param::kStudy);
        bool adhoc = study.empty();
        std::string key = adhoc ? "adhoc:" + adhoc_key(run) : study;
        auto id = std::make_tuple(run.row.experiment, run.row.kind, key, run.machine);
        Group& group = groups[id];
        if (group.runs.empty() && group.failed.empty()) {
            group.experiment = run.row.experiment;
            group.kind = run.row.kind;
            group.study = adhoc ? "adhoc" : study;
            group.machine = run.machine;
            group.factor = adhoc ? "repeat" : run.param(db::param::kFactor, "repeat");
            if (adhoc)
                adhoc_first_seed[id] = seed_values(run);
            else
                group.further_observations = further[study_of(run)];
        } else if (adhoc && seed_values(run) != adhoc_first_seed[id]) {
            group.factor = "seed";
        }
        if (run.row.status == db::kStatusDone)
            group.runs.push_back(std::move(run));
        else
            group.failed.push_back(std::move(run));
    }
    std::vector<Group> out;
    for (auto& [id, group] : groups) {
        std::sort(group.runs.begin(), group.runs.end(), factor_less);
        out.push_back(std::move(group));
    }
    // Ad-hoc groups of the same experiment and kind get numbered labels, largest group first.
    std::stable_sort(out.begin(), out.end(), [](const Group& a, const Group& b) {
        auto rank = [](const Group& g) {
            bool adhoc = g.study == "adhoc";
            return std::make_tuple(g.experiment, g.kind, adhoc,
                                   adhoc ? -static_cast<long>(g.runs.size()) : 0L);
        };
        return rank(a) < rank(b);
    });
    std::map<std::pair<std::string, std::string>, int> adhoc_count;
    for (auto& group : out)
        if (group.study == "adhoc") {
            int n = ++adhoc_count[{group.experiment, group.kind}];
            if (n > 1)
                group.study += "-" + std::to_string(n);
        }
    return out;
}

} // namespace detlab::analysis
