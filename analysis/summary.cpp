// Per-group summaries: pairwise comparisons of the runs' artifacts and spreads of their metrics.
#include "analysis/internal.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace detlab::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using detail::BlobCache;
using detail::sha_of;

bool all_have(const std::vector<RunData>& runs, const std::string& artifact) {
    for (const auto& run : runs)
        if (sha_of(run, artifact).empty())
            return false;
    return !runs.empty();
}

// Runs after the first whose artifact differs from the first run's: the independent trials of
// "does another run give another output?".
std::optional<Proportion> differ_from_first(const std::vector<RunData>& runs,
                                            const std::string& artifact) {
    if (!all_have(runs, artifact) || runs.size() < 2)
        return std::nullopt;
    std::size_t k = 0;
    for (std::size_t i = 1; i < runs.size(); ++i)
        k += sha_of(runs[i], artifact) != sha_of(runs[0], artifact);
    return binomial_proportion(k, runs.size() - 1);
}

OutputComparison compare_outputs(const Group& g, BlobCache& blobs) {
    OutputComparison c;
    const auto& runs = g.runs;
    std::string artifact = detail::main_artifact(g.kind);
    c.differ = differ_from_first(runs, artifact);
    if (!all_have(runs, artifact))
        return c;
    std::vector<Bytes> bits;
    for (const auto& run : runs) {
        auto b = detail::output_bits(run, g.kind, blobs);
        if (!b || (!bits.empty() && b->size() != bits[0].size()))
            return c; // outputs of different sizes have no bit distance
        bits.push_back(std::move(*b));
    }
    bool float_words = db::run_kind(g.kind) == db::RunKind::train;
    std::vector<detail::BitDensity> density;
    for (const auto& b : bits)
        density.push_back(detail::bit_density(b, float_words));
    c.baseline.outputs = runs.size();
    c.baseline.total_bits = 8 * static_cast<std::uint64_t>(bits[0].size());
    c.baseline.varying_bits = detail::varying_positions(bits);
    c.baseline.classes = float_words ? "float32 bit index" : "configuration bits";
    double expected_sum = 0;
    std::size_t n = runs.size(), same = 0, pairs = 0;
    c.bits_matrix.assign(n * n, 0.0);
    c.normalised_matrix.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j, ++pairs) {
            BitDistance d = bit_distance(bits[i], bits[j]);
            same += d.differing_bits == 0;
            c.bits_matrix[i * n + j] = c.bits_matrix[j * n + i] = d.hamming();
            double expected = detail::expected_distance(density[i], density[j]);
            expected_sum += expected;
            c.normalised_matrix[i * n + j] = c.normalised_matrix[j * n + i] =
                expected > 0 ? double(d.differing_bits) / expected : kNaN;
        }
    if (pairs) {
        c.identical_pairs = double(same) / double(pairs);
        c.baseline.expected_bits = expected_sum / double(pairs);
    } else {
        c.normalised_matrix.clear();
    }
    return c;
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
    for (const char* stage :
         {db::artifact::kNetlist, db::artifact::kAsc, db::artifact::kBitstream}) {
        std::string sa = sha_of(a, stage), sb = sha_of(b, stage);
        if (!sa.empty() && !sb.empty() && sa != sb)
            return std::string(stage) == db::artifact::kNetlist ? "netlist"
                   : std::string(stage) == db::artifact::kAsc   ? "asc"
                                                                : "bin";
    }
    return "none";
}

void bitstream_distances(const std::vector<RunData>& runs, BlobCache& blobs, ToolchainSummary& s) {
    if (!all_have(runs, db::artifact::kBitstream))
        return;
    std::vector<Bytes> payloads;
    bool parsed = true;
    std::string over; // issue 27: family ("cram+bram" iCE40, "frames+ebr" ECP5)
    for (const auto& run : runs) {
        auto payload = config_payload(blobs.get(sha_of(run, db::artifact::kBitstream)));
        parsed = parsed && payload &&
                 (payloads.empty() || payload->bits.size() == payloads[0].size()) &&
                 (over.empty() || payload->over == over);
        if (payload)
            over = payload->over;
        payloads.push_back(payload ? std::move(payload->bits) : Bytes{});
    }
    std::vector<std::span<const std::uint8_t>> vectors;
    for (std::size_t i = 0; i < runs.size(); ++i)
        vectors.emplace_back(parsed ? std::span<const std::uint8_t>(payloads[i])
                                    : std::span<const std::uint8_t>(
                                          blobs.get(sha_of(runs[i], db::artifact::kBitstream))));
    s.distance_over = parsed ? over : "file";
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
    if (!all_have(runs, db::artifact::kEquivOutputs) || runs.size() < 2)
        return;
    std::vector<double> per_pair;
    std::size_t n = runs.size();
    s.functional_matrix.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j) {
            const Bytes& a = blobs.get(sha_of(runs[i], db::artifact::kEquivOutputs));
            const Bytes& b = blobs.get(sha_of(runs[j], db::artifact::kEquivOutputs));
            double vectors = metric_of(runs[i], db::metric::kEquivVectors);
            std::size_t words = a.size() / 4, per_vector = 1;
            if (vectors >= 1 && words % static_cast<std::size_t>(vectors) == 0)
                per_vector = words / static_cast<std::size_t>(vectors);
            if (vectors >= 1)
                s.equiv_vectors = static_cast<std::size_t>(vectors);
            per_pair.push_back(output_disagreement(a, b, per_vector));
            s.functional_matrix[i * n + j] = s.functional_matrix[j * n + i] = per_pair.back();
        }
    s.functional = summarize(per_pair).mean;
}

// Every run's check, by verdict (equiv_result.json, or the counts of a check stored before it).
void equivalence_verdicts(const std::vector<RunData>& runs, BlobCache& blobs, ToolchainSummary& s) {
    std::size_t same = 0, differ = 0, proved = 0, never = 0;
    int min_vectors = 0, max_vectors = 0;
    std::map<std::string, std::size_t> why_not;
    for (const auto& run : runs) {
        std::string result, reason;
        if (auto sha = sha_of(run, db::artifact::kEquivResult); !sha.empty()) {
            const Bytes& bytes = blobs.get(sha);
            auto json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
            if (json.is_object()) {
                result = json.value("result", std::string());
                reason = json.value("reason", std::string());
            }
        } else if (run.final_metrics.contains(db::metric::kEquivVectors)) {
            result = metric_of(run, db::metric::kEquivMismatches) > 0 ? "differs" : "no_difference";
        }
        result = verdict_with_proof(run, blobs, result);
        int vectors = static_cast<int>(metric_of(run, db::metric::kEquivVectors));
        if (result == "no_difference") {
            ++same;
            min_vectors = same == 1 ? vectors : std::min(min_vectors, vectors);
            max_vectors = std::max(max_vectors, vectors);
        } else if (result == "differs") {
            ++differ;
        } else if (result == "proved") {
            ++proved;
        } else if (result == "not_checked") {
            ++why_not[reason.empty() ? "no reason recorded" : reason];
        } else {
            ++never;
        }
    }
    const std::string of = "/" + std::to_string(runs.size());
    std::vector<std::string> parts;
    if (proved)
        parts.push_back(std::to_string(proved) + of + " proved");
    if (same) {
        double bound = 1 - std::pow(0.05, 1.0 / std::max(min_vectors, 1));
        char text[160];
        std::snprintf(text, sizeof text,
                      "%zu%s no difference in %s%d vectors (mismatch rate <= %.2g%% each, 95%%)",
                      same, of.c_str(), max_vectors > min_vectors ? ">= " : "", min_vectors,
                      100 * bound);
        parts.emplace_back(text);
    }
    if (differ)
        parts.push_back(std::to_string(differ) + of + " DIFFER");
    for (const auto& [reason, count] : why_not)
        parts.push_back(std::to_string(count) + of + " not checked: " + reason);
    if (never)
        parts.push_back(std::to_string(never) + of +
                        " not checked: no check ran (experiment key "
                        "equiv_vectors, or detlab equiv --experiment)");
    for (const auto& part : parts)
        s.equivalence += (s.equivalence.empty() ? "" : "; ") + part;
    s.equivalence_differs = differ > 0;
}

ToolchainSummary summarize_toolchain(const Group& group, BlobCache& blobs) {
    const auto& runs = group.runs;
    ToolchainSummary s;
    s.bitstream = compare_outputs(group, blobs);
    s.netlist_differ = differ_from_first(runs, db::artifact::kNetlist);
    s.pairs = runs.size() < 2 ? 0 : runs.size() * (runs.size() - 1) / 2;
    s.identical_bin = identical_fraction(runs, db::artifact::kBitstream);
    s.identical_asc = identical_fraction(runs, db::artifact::kAsc);
    s.identical_netlist = identical_fraction(runs, db::artifact::kNetlist);
    for (std::size_t i = 0; i < runs.size(); ++i)
        for (std::size_t j = i + 1; j < runs.size(); ++j)
            ++s.first_divergence[first_divergence(runs[i], runs[j])];
    bitstream_distances(runs, blobs, s);
    functional_distance(runs, blobs, s);
    s.fmax_mhz = metric_summary(runs, db::metric::kFmaxMhz);
    s.logic_cells = metric_summary(runs, db::metric::kLogicCells);
    s.tools_wall_s = metric_summary(runs, db::metric::kToolsWallS);
    for (const auto& run : runs)
        if (metric_of(run, db::metric::kEquivMismatches) > 0)
            s.equiv_mismatch_runs.push_back(run.row.id);
    equivalence_verdicts(runs, blobs, s);
    return s;
}

using detail::TrainingArtifacts;

TrainingSummary summarize_training(const Group& group, BlobCache& blobs) {
    const auto& runs = group.runs;
    TrainingSummary s;
    s.weights = compare_outputs(group, blobs);
    std::size_t n = runs.size();
    std::vector<TrainingArtifacts> decoded;
    for (const auto& run : runs)
        decoded.push_back(detail::decode_training(run, blobs));
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
                if (s.disagreement_matrix.empty()) {
                    s.disagreement_matrix.assign(n * n, kNaN);
                    s.pearson_matrix.assign(n * n, kNaN);
                    s.ensemble_gain_matrix.assign(n * n, kNaN);
                }
                s.disagreement_matrix[i * n + j] = s.disagreement_matrix[j * n + i] =
                    c.disagreement;
                s.pearson_matrix[i * n + j] = s.pearson_matrix[j * n + i] = c.pearson;
                s.ensemble_gain_matrix[i * n + j] = s.ensemble_gain_matrix[j * n + i] =
                    c.ensemble_gain;
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
    for (const auto& d : decoded)
        if (!d.labels.values.empty()) {
            s.test_samples = d.labels.values.size();
            break;
        }
    for (std::size_t i = 0; i < runs.size(); ++i) {
        double a = metric_of(runs[i], db::metric::kFinalTestAccuracy);
        if (std::isnan(a) && !decoded[i].logits.values.empty())
            a = accuracy(decoded[i].logits, decoded[i].labels);
        double l = metric_of(runs[i], db::metric::kFinalTestLoss);
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

// The artifacts whose bytes the summaries read; the others are compared by their hash only.
std::vector<std::string> read_artifacts(const std::string& kind) {
    if (db::run_kind(kind) == db::RunKind::train)
        return {"weights.bin", "test_logits.bin"};
    return {"bitstream.bin", "equiv_outputs.bin"};
}

// One damaged blob must not stop the analysis of the whole store: a run whose bytes cannot be
// read back is set aside (and named) before any figure is computed, so the figures are the
// other runs' and no pair matrix has a hole.
void set_aside_damaged(Group& group, BlobCache& blobs) {
    std::vector<RunData> readable;
    for (auto& run : group.runs) {
        std::optional<DamagedRun> damage;
        for (const auto& artifact : read_artifacts(group.kind)) {
            std::string sha = sha_of(run, artifact);
            if (sha.empty())
                continue;
            try {
                blobs.get(sha);
            } catch (const db::BlobCorrupt& error) {
                damage = DamagedRun{run.row.id, artifact, error.what()};
            } catch (const std::out_of_range&) {
                damage = DamagedRun{run.row.id, artifact, "blob " + sha + " is missing"};
            }
            if (damage)
                break;
        }
        if (damage)
            group.damaged.push_back(std::move(*damage));
        else
            readable.push_back(std::move(run));
    }
    group.runs = std::move(readable);
}

GroupSummary summarize_one(Group group, BlobCache& blobs) {
    set_aside_damaged(group, blobs);
    GroupSummary summary;
    summary.group = group;
    if (db::run_kind(group.kind) == db::RunKind::toolchain)
        summary.toolchain = summarize_toolchain(group, blobs);
    else if (db::run_kind(group.kind) == db::RunKind::train)
        summary.training = summarize_training(group, blobs);
    summary.group = std::move(group);
    return summary;
}

} // namespace

GroupSummary summarize_group(const db::Store& store, const Group& group) {
    BlobCache blobs(store);
    return summarize_one(group, blobs);
}

std::vector<GroupSummary> analyse(const db::Store& store,
                                  const std::optional<std::string>& experiment) {
    BlobCache blobs(store);
    std::vector<GroupSummary> out;
    for (const auto& group : group_runs(load_runs(store, experiment)))
        out.push_back(summarize_one(group, blobs));
    detail::attach_baseline_cross(out, blobs); // issue 26
    return out;
}

} // namespace detlab::analysis
