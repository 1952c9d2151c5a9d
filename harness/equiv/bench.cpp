// `detlab bench equiv`'s measurement: the equivalence check's wall time against the wall time of
// the builds it checks, both measured in the same run on the same machine.
#include "harness/equiv/equiv.h"
#include "harness/toolchain/toolchain.h"

#include <algorithm>
#include <stdexcept>

namespace detlab::equiv {
namespace {

double mean(const std::vector<double>& values) {
    double sum = 0;
    for (double value : values)
        sum += value;
    return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

struct Bitstream {
    std::string asc;
    nlohmann::json config; // the toolchain configuration it was built from (board_from_config)
    std::optional<nlohmann::json> netlist; // the synthesised netlist.json (for a proof)
};

std::optional<nlohmann::json> parse_netlist(const Bytes* bytes) {
    if (!bytes)
        return std::nullopt;
    return nlohmann::json::parse(bytes->begin(), bytes->end());
}

// One fresh build per seed, timed; its scratch folder is removed before the next build starts.
std::vector<Bitstream> build(const BenchOptions& options, BenchResult& result,
                             const std::function<void(const BenchBuild&)>& on_build) {
    std::vector<Bitstream> out;
    for (int seed = 1; seed <= options.builds; ++seed) {
        TempDir scratch("detlab-bench-equiv-");
        observation::Context context{nullptr, scratch.path(), "bench", nullptr};
        double start = monotonic_seconds();
        auto run = toolchain::run_build(
            {{"array", options.array}, {"device", options.device}, {"seed", seed}}, 0, context);
        BenchBuild timed{seed, monotonic_seconds() - start};
        const auto* asc = run.find_artifact(db::artifact::kAsc);
        if (run.status != db::kStatusDone || !asc || asc->bytes.empty())
            throw std::runtime_error("build failed: " + run.message);
        result.builds.push_back(timed);
        if (on_build)
            on_build(timed);
        const auto* netlist = run.find_artifact(db::artifact::kNetlist);
        out.push_back({{asc->bytes.begin(), asc->bytes.end()},
                       nlohmann::json::parse(run.config_json),
                       parse_netlist(netlist ? &netlist->bytes : nullptr)});
    }
    return out;
}

std::vector<Bitstream> stored(const BenchOptions& options) {
    std::optional<db::RunRow> row;
    std::optional<Bytes> bytes;
    if (options.store) {
        row = options.store->run(options.run_id);
        bytes = options.store->artifact_bytes(options.run_id, db::artifact::kAsc);
    }
    if (!row || !bytes)
        throw InputError(input_error_message("argument", 0, "--run",
                                             "no toolchain run \"" + options.run_id +
                                                 "\" with a bitstream.asc"));
    auto netlist = options.store->artifact_bytes(options.run_id, db::artifact::kNetlist);
    return {{{bytes->begin(), bytes->end()},
             nlohmann::json::parse(row->config_json),
             parse_netlist(netlist ? &*netlist : nullptr)}};
}

CheckResult native_check(std::string_view asc, const Board& board, int vectors,
                         std::uint64_t seed) {
    CheckOptions check;
    check.vectors = vectors;
    check.seed = seed;
    check.simulator = Simulator::native;
    return check_bitstream(asc, board, check);
}

} // namespace

bool BenchBitstream::cross_identical() const {
    return cross_native && cross_other && cross_native->outputs == cross_other->outputs;
}

double BenchBitstream::cross_ratio() const {
    if (!cross_native || !cross_other)
        return 0;
    return cross_other->wall_s / std::max(cross_native->wall_s, 1e-9);
}

BenchResult bench_check(const BenchOptions& options,
                        const std::function<void(const BenchBuild&)>& on_build) {
    BenchResult result;
    std::vector<Bitstream> bitstreams;
    if (!options.asc_file.empty())
        bitstreams.push_back({read_file_text(options.asc_file),
                              {{"array", options.array}, {"device", options.device}},
                              std::nullopt});
    else if (!options.run_id.empty())
        bitstreams = stored(options);
    else
        bitstreams = build(options, result, on_build);
    // Every bitstream of one bench is built for one board: the last one's configuration says which.
    result.board = board_from_config(bitstreams.back().config);

    std::vector<double> check_s;
    for (const auto& bitstream : bitstreams) {
        BenchBitstream timed;
        timed.check = native_check(bitstream.asc, result.board, options.vectors, options.seed);
        check_s.push_back(timed.check.wall_s);
        if (options.cross_check) {
            timed.cross_native =
                native_check(bitstream.asc, result.board, options.cross_vectors, options.seed);
            CheckOptions other;
            other.vectors = options.cross_vectors;
            other.seed = options.seed;
            other.simulator = *options.cross_check;
            timed.cross_other = check_bitstream(bitstream.asc, result.board, other);
        }
        if (options.prove_s > 0) {
            if (!bitstream.netlist)
                throw InputError(input_error_message("argument", 0, "--prove",
                                                     "the bitstream has no synthesised "
                                                     "netlist.json to prove it against"));
            ProofOptions proof;
            proof.time_limit_s = options.prove_s;
            timed.proof = prove_against_synthesis(
                bitstream.asc, result.board.pcf, *bitstream.netlist,
                bitstream.config.value("top", std::string(toolchain::kAcceleratorTop)), proof);
        }
        result.bitstreams.push_back(std::move(timed));
    }
    result.check_mean_s = mean(check_s);
    if (result.builds.empty())
        return result;
    std::vector<double> build_s;
    for (std::size_t i = 0; i < result.builds.size(); ++i) {
        build_s.push_back(result.builds[i].wall_s);
        result.ratios.push_back(check_s[i] / result.builds[i].wall_s);
        if (const auto& proof = result.bitstreams[i].proof)
            result.proof_ratios.push_back(proof->wall_s / result.builds[i].wall_s);
    }
    result.build_mean_s = mean(build_s);
    result.ratio_mean = mean(result.ratios);
    result.ratio_min = *std::min_element(result.ratios.begin(), result.ratios.end());
    result.ratio_max = *std::max_element(result.ratios.begin(), result.ratios.end());
    return result;
}

} // namespace detlab::equiv
