// Trained models run on bitstreams: inference of stored weights with every integer product
// computed by a bitstream's simulated netlist, compared with the golden model.
#include "harness/model_on_bitstream/model_on_bitstream.h"
#include "harness/train/train.h"

#include <algorithm>
#include <cstring>

namespace detlab::model_on_bitstream {
namespace {

struct Model {
    std::string id;
    std::vector<Tensor> weights;
    train::Dataset test;   // the run's own test split
    train::Dataset sample; // the samples of it the check runs on
};

db::RunRow stored_run(const db::Store& store, const std::string& id, const std::string& kind) {
    auto row = store.run(id);
    if (!row)
        throw InputError(input_error_message("argument", 0, "run",
                                             "no run \"" + id + "\" in " + store.path().string()));
    if (row->kind != kind)
        throw InputError(input_error_message("argument", 0, "run",
                                             "run " + id + " is a " + row->kind + " run, not a " +
                                                 kind + " run"));
    return *row;
}

Bytes stored_artifact(const db::Store& store, const std::string& id, const std::string& name) {
    auto bytes = store.artifact_bytes(id, name);
    if (!bytes)
        throw InputError(
            input_error_message("argument", 0, "run", "run " + id + " has no " + name));
    return *bytes;
}

Model load_model(const db::Store& store, const std::string& id) {
    auto row = stored_run(store, id, db::kKindTrain);
    Model model;
    model.id = id;
    model.weights =
        decode_tensors(stored_artifact(store, id, db::artifact::kWeights), id + "/weights.bin");
    model.test = train::load_split(nlohmann::json::parse(row.config_json)).test;
    return model;
}

std::vector<float> logits_on(const Model& model, const train::Dataset& data,
                             std::unique_ptr<accel::GemmBackend> gemm) {
    auto matmul = train::make_quantised_matmul(std::move(gemm));
    return train::infer_logits(model.weights, data.inputs.data(), static_cast<int>(data.size()),
                               *matmul);
}

std::vector<int> predictions(const std::vector<float>& logits, int classes) {
    std::vector<int> out;
    for (std::size_t row = 0; row + static_cast<std::size_t>(classes) <= logits.size();
         row += static_cast<std::size_t>(classes)) {
        auto first = logits.begin() + static_cast<std::ptrdiff_t>(row);
        out.push_back(static_cast<int>(std::max_element(first, first + classes) - first));
    }
    return out;
}

ModelResult compare(const Model& model, const std::string& toolchain_run,
                    const std::vector<float>& golden, const std::vector<float>& netlist) {
    ModelResult r;
    r.train_run = model.id;
    r.toolchain_run = toolchain_run;
    r.labels = model.sample.labels;
    r.golden_predictions = predictions(golden, model.sample.classes);
    r.netlist_predictions = predictions(netlist, model.sample.classes);
    for (std::size_t i = 0; i < golden.size(); ++i)
        r.logit_mismatches +=
            i >= netlist.size() || std::memcmp(&golden[i], &netlist[i], sizeof(float)) != 0;
    for (std::size_t i = 0; i < r.labels.size(); ++i) {
        r.prediction_mismatches += r.golden_predictions[i] != r.netlist_predictions.at(i);
        r.correct += r.netlist_predictions.at(i) == r.labels[i];
    }
    return r;
}

// The test-split positions to run (see run_models_on_bitstreams); fills report.sample_indices
// and, for `disagreement`, report.split_disagreements.
void pick_samples(const std::vector<Model>& models, const ModelOptions& options,
                  const accel::ArrayConfig& array, ModelReport& report) {
    std::size_t available = models.front().test.size();
    for (const auto& model : models)
        available = std::min(available, model.test.size());
    auto wanted = std::min(available, static_cast<std::size_t>(std::max(options.samples, 0)));
    std::vector<int> chosen;
    if (options.pick == SamplePick::first) {
        for (std::size_t i = 0; i < wanted; ++i)
            chosen.push_back(static_cast<int>(i));
        report.sample_indices = chosen;
        return;
    }
    const auto& split = models.front().test;
    for (const auto& model : models)
        if (model.test.labels != split.labels || model.test.inputs != split.inputs)
            throw InputError(input_error_message(
                "argument", 0, "train-run",
                "runs " + models.front().id + " and " + model.id +
                    " have different test splits; --pick disagreement compares models sample "
                    "by sample, so their data and split seed must match"));
    std::vector<std::vector<int>> split_predictions;
    for (const auto& model : models)
        split_predictions.push_back(predictions(
            logits_on(model, split, accel::make_backend("golden", array)), split.classes));
    std::vector<int> agreeing;
    for (std::size_t i = 0; i < available; ++i) {
        bool differ = false;
        for (const auto& p : split_predictions)
            differ = differ || p[i] != split_predictions.front()[i];
        (differ ? chosen : agreeing).push_back(static_cast<int>(i));
    }
    report.split_disagreements = chosen;
    chosen.resize(std::min(chosen.size(), wanted));
    for (std::size_t i = 0; chosen.size() < wanted; ++i)
        chosen.push_back(agreeing[i]);
    std::sort(chosen.begin(), chosen.end());
    report.sample_indices = chosen;
}

void add_timing(equiv::SimTiming& total, const equiv::SimTiming& t) {
    total.netlist_s += t.netlist_s;
    total.compile_s += t.compile_s;
    total.simulate_s += t.simulate_s;
    total.cycles += t.cycles;
    total.runs += t.runs;
    total.jobs += t.jobs;
}

void summarise(ModelReport& report, const std::vector<Model>& models,
               const std::vector<std::vector<int>>& golden_predictions, std::size_t bitstreams) {
    for (std::size_t i = 0; i < models.size(); ++i)
        for (std::size_t j = i + 1; j < models.size(); ++j) {
            int differ = 0;
            for (std::size_t s = 0; s < golden_predictions[i].size(); ++s)
                differ += s >= golden_predictions[j].size() ||
                          golden_predictions[i][s] != golden_predictions[j][s];
            report.model_disagreements.emplace_back(models[i].id, models[j].id, differ);
        }
    for (std::size_t i = 0; i < models.size(); ++i) {
        bool identical = true;
        for (std::size_t b = 1; b < bitstreams; ++b)
            identical = identical && report.results[i * bitstreams + b].netlist_predictions ==
                                         report.results[i * bitstreams].netlist_predictions;
        report.identical_across_bitstreams.emplace_back(models[i].id, identical);
    }
}

} // namespace

SamplePick parse_sample_pick(const std::string& name) {
    if (name == "first")
        return SamplePick::first;
    if (name == "disagreement")
        return SamplePick::disagreement;
    throw InputError(
        input_error_message("argument", 0, "pick",
                            "unknown sample pick \"" + name + "\" (choose first or disagreement)"));
}

std::string sample_pick_name(SamplePick pick) {
    return pick == SamplePick::first ? "first" : "disagreement";
}

ModelReport run_models_on_bitstreams(db::Store& store, const std::vector<std::string>& train_runs,
                                     const std::vector<std::string>& toolchain_runs,
                                     const ModelOptions& options) {
    double start = monotonic_seconds();
    if (train_runs.empty() || toolchain_runs.empty())
        throw InputError(input_error_message("argument", 0, "run",
                                             "need at least one train run and one toolchain run"));
    if (options.simulator != equiv::Simulator::iverilog &&
        options.simulator != equiv::Simulator::verilator)
        throw InputError(input_error_message(
            "argument", 0, "simulator", "models run on bitstreams with iverilog or verilator"));
    ModelReport report;
    report.samples = options.samples;
    report.pick = options.pick;
    std::vector<Model> models;
    for (const auto& id : train_runs)
        models.push_back(load_model(store, id));
    std::vector<db::RunRow> bitstreams;
    for (const auto& id : toolchain_runs)
        bitstreams.push_back(stored_run(store, id, db::kKindToolchain));
    auto first_board =
        equiv::board_from_config(nlohmann::json::parse(bitstreams.front().config_json));
    pick_samples(models, options, first_board.array, report);
    for (auto& model : models)
        model.sample =
            train::select_rows(model.test, std::vector<std::size_t>(report.sample_indices.begin(),
                                                                    report.sample_indices.end()));

    std::vector<std::vector<float>> golden(models.size());
    std::vector<std::vector<int>> golden_predictions(models.size());
    std::vector<std::vector<std::vector<float>>> netlist(models.size());
    std::filesystem::path root = options.work_dir;
    std::optional<TempDir> scratch; // removed however this ends
    if (root.empty())
        root = scratch.emplace("detlab-equiv-model-").path();
    {
        for (const auto& row : bitstreams) {
            const std::string& id = row.id;
            auto asc = stored_artifact(store, id, db::artifact::kAsc);
            auto board = equiv::board_from_config(nlohmann::json::parse(row.config_json));
            auto sim = std::make_shared<equiv::NetlistSim>(
                std::string_view(reinterpret_cast<const char*>(asc.data()), asc.size()), board,
                options.simulator, root / id);
            for (std::size_t m = 0; m < models.size(); ++m) {
                if (golden[m].empty()) {
                    golden[m] = logits_on(models[m], models[m].sample,
                                          accel::make_backend("golden", board.array));
                    golden_predictions[m] = predictions(golden[m], models[m].sample.classes);
                }
                netlist[m].push_back(
                    logits_on(models[m], models[m].sample, make_netlist_backend(sim)));
            }
            add_timing(report.timing, sim->timing());
        }
    }
    for (std::size_t m = 0; m < models.size(); ++m)
        for (std::size_t b = 0; b < toolchain_runs.size(); ++b)
            report.results.push_back(
                compare(models[m], toolchain_runs[b], golden[m], netlist[m][b]));
    summarise(report, models, golden_predictions, toolchain_runs.size());
    report.wall_s = monotonic_seconds() - start;
    return report;
}

nlohmann::json to_json(const ModelReport& report) {
    nlohmann::json out;
    out["samples"] = report.samples;
    out["pick"] = sample_pick_name(report.pick);
    out["sample_indices"] = report.sample_indices;
    if (report.pick == SamplePick::disagreement)
        out["split_disagreements"] = report.split_disagreements;
    out["results"] = nlohmann::json::array();
    for (const auto& r : report.results)
        out["results"].push_back({{"train_run", r.train_run},
                                  {"toolchain_run", r.toolchain_run},
                                  {"labels", r.labels},
                                  {"golden_predictions", r.golden_predictions},
                                  {"netlist_predictions", r.netlist_predictions},
                                  {db::metric::kPredictionMismatches, r.prediction_mismatches},
                                  {db::metric::kLogitMismatches, r.logit_mismatches},
                                  {"correct", r.correct}});
    out["model_disagreements"] = nlohmann::json::array();
    for (const auto& [a, b, differ] : report.model_disagreements)
        out["model_disagreements"].push_back({{"a", a}, {"b", b}, {"differ", differ}});
    for (const auto& [id, identical] : report.identical_across_bitstreams)
        out[db::metric::kIdenticalAcrossBitstreams][id] = identical;
    out["timing"] = {
        {"netlist_s", report.timing.netlist_s},   {"compile_s", report.timing.compile_s},
        {"simulate_s", report.timing.simulate_s}, {"cycles", report.timing.cycles},
        {"tile_jobs", report.timing.jobs},        {"wall_s", report.wall_s}};
    return out;
}

} // namespace detlab::model_on_bitstream
