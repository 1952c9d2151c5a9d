// The fixed vector set, the check of one bitstream against the golden model, and how the
// result is stored with a run.
#include "harness/equiv/equiv.h"
#include "harness/equiv/internal.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

namespace detlab::equiv {
namespace {

// DeterministicRng's sequence is fixed by its definition, so the vector set is the same with
// every compiler and library.
class VectorRng {
public:
    explicit VectorRng(std::uint64_t seed) : rng_(seed) {}
    int below(int bound) {
        return static_cast<int>(rng_.modulo(static_cast<std::uint64_t>(bound)));
    }
    std::int8_t value() { return static_cast<std::int8_t>(below(256) - 128); }
    std::int8_t edge_value() {
        static constexpr std::int8_t edges[] = {-128, 127, 0, -1, 1};
        return edges[below(5)];
    }

private:
    DeterministicRng rng_;
};

TileJob filled(const accel::ArrayConfig& config, int k, std::int8_t a, std::int8_t b) {
    auto count = static_cast<std::size_t>(config.size) * static_cast<std::size_t>(k);
    return {k, std::vector<std::int8_t>(count, a), std::vector<std::int8_t>(count, b)};
}

template <typename Draw>
TileJob drawn(const accel::ArrayConfig& config, int k, Draw draw) {
    TileJob job = filled(config, k, 0, 0);
    for (auto& v : job.a)
        v = draw();
    for (auto& v : job.b)
        v = draw();
    return job;
}

} // namespace

std::vector<TileJob> make_vectors(const accel::ArrayConfig& config, int count, std::uint64_t seed) {
    constexpr int kmax = accel::serial::max_k;
    VectorRng rng(seed);
    std::vector<TileJob> jobs;
    auto add = [&](TileJob job) {
        if (static_cast<int>(jobs.size()) < count)
            jobs.push_back(std::move(job));
    };
    add(filled(config, 1, 0, 0));
    add(drawn(config, 1, [&] { return rng.edge_value(); }));
    add(drawn(config, config.size, [&] { return rng.edge_value(); }));
    add(filled(config, kmax, -128, -128)); // the largest sum: K * 2^14
    add(filled(config, kmax, 127, -128));  // the most negative sum
    while (static_cast<int>(jobs.size()) < count) {
        bool long_k = jobs.size() % 4 == 0;
        int k = 1 + rng.below(long_k ? kmax : 32);
        bool edges = jobs.size() % 3 == 0;
        add(drawn(config, k, [&] { return edges ? rng.edge_value() : rng.value(); }));
    }
    return jobs;
}

std::string verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::proved:
        return "proved";
    case Verdict::no_difference:
        return "no_difference";
    case Verdict::differs:
        return "differs";
    default:
        return "not_checked";
    }
}

double mismatch_rate_bound(int vectors, double confidence) {
    if (vectors <= 0)
        return 1;
    return 1 - std::pow(1 - confidence, 1.0 / vectors);
}

namespace {

// The outputs of every vector, from the native simulator or a testbench run.
std::vector<TileOutput> simulate(std::string_view asc_text, const Board& board,
                                 const std::vector<TileJob>& jobs, CheckResult& result,
                                 const std::filesystem::path& dir, const CheckOptions& options) {
    if (result.simulator != Simulator::native) {
        NetlistSim sim(asc_text, board, result.simulator, dir, options.netlist_edit);
        auto outputs = sim.run(jobs);
        result.timing = sim.timing();
        return outputs;
    }
    double start = monotonic_seconds();
    std::string verilog = detail::make_icebox_verilog(asc_text, board.pcf, dir);
    if (options.netlist_edit)
        verilog = options.netlist_edit(verilog);
    result.timing.netlist_s = monotonic_seconds() - start;
    start = monotonic_seconds();
    auto netlist = detail::parse_icebox_verilog(verilog);
    double parse_s = monotonic_seconds() - start;
    auto lanes = detail::run_serial_lanes(netlist, board.array, jobs);
    result.timing.compile_s = parse_s + lanes.prepare_s;
    result.timing.simulate_s = lanes.simulate_s;
    result.timing.cycles = lanes.cycles;
    result.timing.runs = lanes.passes;
    result.timing.jobs = jobs.size();
    auto fraction = [](int part, int whole) {
        return whole > 0 ? static_cast<double>(part) / whole : -1.0;
    };
    result.toggle_ff = fraction(lanes.coverage.ffs_toggled, lanes.coverage.ffs);
    result.toggle_lut = fraction(lanes.coverage.luts_toggled, lanes.coverage.luts);
    return std::move(lanes.outputs);
}

} // namespace

CheckResult check_bitstream(std::string_view asc_text, const Board& board,
                            const CheckOptions& options) {
    double start = monotonic_seconds();
    CheckResult result;
    auto jobs = make_vectors(board.array, options.vectors, options.seed);
    result.vectors = static_cast<int>(jobs.size());
    result.simulator =
        choose_simulator(options.simulator, script_cycles(board.array, jobs), board.array.size);

    std::filesystem::path dir = options.work_dir;
    std::optional<TempDir> scratch; // removed however this ends
    if (dir.empty())
        dir = scratch.emplace("detlab-equiv-").path();
    else
        std::filesystem::create_directories(dir);
    {
        auto outputs = simulate(asc_text, board, jobs, result, dir, options);
        auto golden = accel::make_backend("golden", board.array);
        const int n = board.array.size;
        std::vector<std::int32_t> expected(static_cast<std::size_t>(n * n));
        for (std::size_t v = 0; v < jobs.size(); ++v) {
            golden->gemm(n, jobs[v].k, n, jobs[v].a.data(), jobs[v].b.data(), expected.data());
            const auto& got = outputs.at(v);
            if (!got.status_ok || got.c != expected) {
                result.mismatches += 1;
                result.mismatched.push_back(static_cast<int>(v));
            }
            auto values = got.c;
            values.resize(expected.size(), 0); // a broken bitstream may answer short
            result.outputs.insert(result.outputs.end(), values.begin(), values.end());
        }
    }
    result.verdict = result.mismatches > 0 ? Verdict::differs : Verdict::no_difference;
    result.rate_bound = result.mismatches > 0
                            ? static_cast<double>(result.mismatches) / result.vectors
                            : mismatch_rate_bound(result.vectors);
    result.wall_s = monotonic_seconds() - start;
    return result;
}

Bytes encode_outputs(const std::vector<std::int32_t>& outputs) {
    Bytes bytes;
    bytes.reserve(outputs.size() * 4);
    for (std::int32_t value : outputs) {
        auto bits = static_cast<std::uint32_t>(value);
        for (int shift = 0; shift < 32; shift += 8)
            bytes.push_back(static_cast<std::uint8_t>(bits >> shift));
    }
    return bytes;
}

std::vector<std::int32_t> decode_outputs(std::span<const std::uint8_t> bytes) {
    if (bytes.size() % 4 != 0)
        throw std::runtime_error("equiv_outputs.bin: " + std::to_string(bytes.size()) +
                                 " bytes is not a whole number of int32 values");
    std::vector<std::int32_t> outputs(bytes.size() / 4);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        std::uint32_t bits = 0;
        for (int b = 3; b >= 0; --b)
            bits = (bits << 8) | bytes[i * 4 + static_cast<std::size_t>(b)];
        outputs[i] = static_cast<std::int32_t>(bits);
    }
    return outputs;
}

nlohmann::json result_json(const CheckResult& result) {
    nlohmann::json j{{"result", verdict_name(result.verdict)}, {"method", result.method}};
    if (result.verdict == Verdict::not_checked) {
        j["reason"] = result.reason;
        return j;
    }
    j["vectors"] = result.vectors;
    if (result.method == kMethodRandomStimulus)
        j["cycles"] = result.cycles;
    j["mismatches"] = result.mismatches;
    j["rate_bound"] = result.rate_bound;
    j["confidence"] = 0.95;
    j["simulator"] = simulator_name(result.simulator);
    if (result.toggle_ff >= 0) {
        j["toggle_ff"] = result.toggle_ff;
        j["toggle_lut"] = result.toggle_lut;
    }
    if (!result.mismatched.empty())
        j["first_mismatch"] = result.mismatched[0];
    return j;
}

void add_to_run(db::RunResult& run, const CheckResult& result) {
    std::string json = result_json(result).dump();
    run.add_artifact(db::artifact::kEquivResult, Bytes(json.begin(), json.end()));
    if (result.verdict == Verdict::not_checked)
        return;
    run.add_metric(db::metric::kEquivVectors, result.vectors);
    run.add_metric(db::metric::kEquivMismatches, result.mismatches);
    run.add_metric(db::metric::kEquivRateBound, result.rate_bound);
    if (result.method == kMethodRandomStimulus)
        run.add_metric(db::metric::kEquivCycles, result.cycles);
    if (result.toggle_ff >= 0) {
        run.add_metric(db::metric::kEquivToggleFf, result.toggle_ff);
        run.add_metric(db::metric::kEquivToggleLut, result.toggle_lut);
    }
    run.add_metric(db::metric::kEquivWallS, result.wall_s);
    run.add_artifact(db::artifact::kEquivOutputs, encode_outputs(result.outputs));
    if (result.mismatches > 0) {
        std::ostringstream text;
        text << "EQUIVALENCE CHECK FAILED: " << result.mismatches << " of " << result.vectors
             << (result.method == kMethodRandomStimulus
                     ? " random stimuli differ from the synthesised netlist (first: stimulus "
                     : " vectors differ from the golden model (first: vector ")
             << result.mismatched[0] << ")";
        run.message = run.message.empty() ? text.str() : run.message + "; " + text.str();
    }
}

std::string describe(const StoredVerdict& v) {
    char text[160];
    switch (v.verdict) {
    case Verdict::proved:
        return "proved";
    case Verdict::no_difference:
        std::snprintf(text, sizeof text, "no difference in %d vectors (rate <= %.2g%%, 95%%)",
                      v.vectors, 100 * v.rate_bound);
        return text;
    case Verdict::differs:
        std::snprintf(text, sizeof text, "DIFFERS: %d of %d vectors", v.mismatches, v.vectors);
        return text;
    default:
        return "not checked: " + (v.reason.empty() ? std::string("no reason recorded") : v.reason);
    }
}

} // namespace detlab::equiv
