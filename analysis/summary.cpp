// Per-group summaries: pairwise comparisons of the runs' artifacts and spreads of their metrics.
#include "analysis/analysis.h"

#include <cmath>
#include <limits>

namespace detlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Fetches each blob once per group: pairs reuse what the runs share.
class BlobCache {
public:
    explicit BlobCache(const db::Store& store) : store_(store) {}
    const Bytes& get(const std::string& sha) {
        auto it = cache_.find(sha);
        if (it == cache_.end())
            it = cache_.emplace(sha, store_.get_blob(sha)).first;
        return it->second;
    }

private:
    const db::Store& store_;
    std::map<std::string, Bytes> cache_;
};

std::string sha_of(const RunData& run, const std::string& artifact) {
    auto it = run.artifacts.find(artifact);
    return it == run.artifacts.end() ? std::string() : it->second;
}

bool all_have(const std::vector<RunData>& runs, const std::string& artifact) {
    for (const auto& run : runs)
        if (sha_of(run, artifact).empty())
            return false;
    return !runs.empty();
}

double metric_of(const RunData& run, const std::string& key) {
    auto it = run.final_metrics.find(key);
    return it == run.final_metrics.end() ? kNaN : it->second;
}

Summary metric_summary(const std::vector<RunData>& runs, const std::string& key) {
    std::vector<double> values;
    for (const auto& run : runs)
        values.push_back(metric_of(run, key));
    return summarize(values);
}

// Fraction of pairs whose artifact has the same hash, or nullopt when a run lacks it.
std::optional<double> identical_fraction(const std::vector<RunData>& runs,
                                         const std::string& artifact) {
    if (!all_have(runs, artifact) || runs.size() < 2)
        return std::nullopt;
    std::size_t same = 0, pairs = 0;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j, ++pairs)
            same += sha_of(runs[i], artifact) == sha_of(runs[j], artifact);
    return double(same) / double(pairs);
}

std::string first_divergence(const RunData& a, const RunData& b) {
    for (const char* stage : {"netlist.json", "bitstream.asc", "bitstream.bin"}) {
        std::string sa = sha_of(a, stage), sb = sha_of(b, stage);
        if (!sa.empty() && !sb.empty() && sa != sb)
            return std::string(stage) == "netlist.json"    ? "netlist"
                   : std::string(stage) == "bitstream.asc" ? "asc"
                                                           : "bin";
    }
    return "none";
}

void bitstream_distances(const std::vector<RunData>& runs, BlobCache& blobs, ToolchainSummary& s) {
    if (!all_have(runs, "bitstream.bin"))
        return;
    std::vector<Bytes> payloads;
    bool parsed = true;
    for (const auto& run : runs) {
        auto payload = ice40_config_payload(blobs.get(sha_of(run, "bitstream.bin")));
        parsed = parsed && payload && (payloads.empty() || payload->size() == payloads[0].size());
        payloads.push_back(payload ? std::move(*payload) : Bytes{});
    }
    std::vector<std::span<const std::uint8_t>> vectors;
    for (std::size_t i = 0; i < runs.size(); ++i)
        vectors.emplace_back(
            parsed ? std::span<const std::uint8_t>(payloads[i])
                   : std::span<const std::uint8_t>(blobs.get(sha_of(runs[i], "bitstream.bin"))));
    s.distance_over = parsed ? "cram+bram" : "file";
    s.config_bits = vectors.empty() ? 0 : 8 * static_cast<std::uint64_t>(vectors[0].size());
    PairwiseDistances d = pairwise_distances(vectors);
    s.hamming_matrix = d.hamming;
    std::vector<double> hamming, jaccard;
    for (std::size_t i = 0; i < d.n; ++i)
        for (std::size_t j = i + 1; j < d.n; ++j) {
            hamming.push_back(d.hamming[i * d.n + j]);
            jaccard.push_back(d.jaccard[i * d.n + j]);
        }
    s.hamming = summarize(hamming);
    s.jaccard = summarize(jaccard);
}

void functional_distance(const std::vector<RunData>& runs, BlobCache& blobs, ToolchainSummary& s) {
    if (!all_have(runs, "equiv_outputs.bin") || runs.size() < 2)
        return;
    std::vector<double> per_pair;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j) {
            const Bytes& a = blobs.get(sha_of(runs[i], "equiv_outputs.bin"));
            const Bytes& b = blobs.get(sha_of(runs[j], "equiv_outputs.bin"));
            double vectors = metric_of(runs[i], "equiv_vectors");
            std::size_t words = a.size() / 4, per_vector = 1;
            if (vectors >= 1 && words % static_cast<std::size_t>(vectors) == 0)
                per_vector = words / static_cast<std::size_t>(vectors);
            per_pair.push_back(output_disagreement(a, b, per_vector));
        }
    s.functional = summarize(per_pair).mean;
}

ToolchainSummary summarize_toolchain(const std::vector<RunData>& runs, BlobCache& blobs) {
    ToolchainSummary s;
    s.pairs = runs.size() < 2 ? 0 : runs.size() * (runs.size() - 1) / 2;
    s.identical_bin = identical_fraction(runs, "bitstream.bin");
    s.identical_asc = identical_fraction(runs, "bitstream.asc");
    s.identical_netlist = identical_fraction(runs, "netlist.json");
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j)
            ++s.first_divergence[first_divergence(runs[i], runs[j])];
    bitstream_distances(runs, blobs, s);
    functional_distance(runs, blobs, s);
    s.fmax_mhz = metric_summary(runs, "fmax_mhz");
    s.logic_cells = metric_summary(runs, "logic_cells");
    s.tools_wall_s = metric_summary(runs, "tools_wall_s");
    for (const auto& run : runs)
        if (metric_of(run, "equiv_mismatches") > 0)
            s.equiv_mismatch_runs.push_back(run.row.id);
    return s;
}

struct TrainingArtifacts {
    std::vector<Tensor> weights;
    Tensor logits, labels;
};

TrainingArtifacts decode_training(const RunData& run, BlobCache& blobs) {
    TrainingArtifacts t;
    if (auto sha = sha_of(run, "weights.bin"); !sha.empty())
        t.weights = decode_tensors(blobs.get(sha), run.row.id + "/weights.bin");
    if (auto sha = sha_of(run, "test_logits.bin"); !sha.empty())
        for (auto& tensor : decode_tensors(blobs.get(sha), run.row.id + "/test_logits.bin")) {
            if (tensor.name == "logits")
                t.logits = std::move(tensor);
            else if (tensor.name == "labels")
                t.labels = std::move(tensor);
        }
    return t;
}

TrainingSummary summarize_training(const std::vector<RunData>& runs, BlobCache& blobs) {
    TrainingSummary s;
    std::vector<TrainingArtifacts> decoded;
    for (const auto& run : runs)
        decoded.push_back(decode_training(run, blobs));
    std::vector<double> bits, l2, disagreement, correlation, gain, acc, loss;
    std::size_t identical = 0;
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j) {
            ++s.pairs;
            const auto &a = decoded[i], &b = decoded[j];
            if (!a.weights.empty() && !b.weights.empty()) {
                WeightDistance w = weight_distance(a.weights, b.weights);
                identical += w.identical;
                bits.push_back(w.differing_bit_fraction());
                l2.push_back(w.relative_l2);
            }
            if (!a.logits.values.empty() && !b.logits.values.empty()) {
                LogitsComparison c = compare_logits(a.logits, b.logits, a.labels);
                disagreement.push_back(c.disagreement);
                correlation.push_back(c.pearson);
                gain.push_back(c.ensemble_gain);
            }
        }
    s.identical_weights = s.pairs ? double(identical) / double(s.pairs) : 0.0;
    s.weight_bits = summarize(bits);
    s.relative_l2 = summarize(l2);
    s.disagreement = summarize(disagreement);
    s.pearson = summarize(correlation);
    s.ensemble_gain = summarize(gain);
    for (std::size_t i = 0; i < runs.size(); ++i) {
        double a = metric_of(runs[i], "final_test_accuracy");
        if (std::isnan(a) && !decoded[i].logits.values.empty())
            a = accuracy(decoded[i].logits, decoded[i].labels);
        double l = metric_of(runs[i], "final_test_loss");
        if (std::isnan(l) && !decoded[i].logits.values.empty())
            l = cross_entropy(decoded[i].logits, decoded[i].labels);
        if (!std::isnan(a))
            acc.push_back(a);
        if (!std::isnan(l))
            loss.push_back(l);
    }
    s.accuracy = summarize(acc);
    s.loss = summarize(loss);
    s.accuracy_ci = bootstrap_ci(acc);
    s.loss_ci = bootstrap_ci(loss);
    return s;
}

} // namespace

GroupSummary summarize_group(const db::Store& store, const Group& group) {
    GroupSummary summary;
    summary.group = group;
    BlobCache blobs(store);
    if (group.kind == "toolchain")
        summary.toolchain = summarize_toolchain(group.runs, blobs);
    else if (group.kind == "train")
        summary.training = summarize_training(group.runs, blobs);
    return summary;
}

std::vector<GroupSummary> analyse(const db::Store& store,
                                  const std::optional<std::string>& experiment) {
    std::vector<GroupSummary> out;
    for (const auto& group : group_runs(load_runs(store, experiment)))
        out.push_back(summarize_group(store, group));
    return out;
}

} // namespace detlab::analysis
