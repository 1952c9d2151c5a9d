// Functional equivalence of bitstreams: a stored .asc is turned back into a gate-level netlist
// (icebox_vlog), simulated as the board top's serial protocol drives it (the native simulator, or
// rtl/tb/serial_tb.v under iverilog/Verilator), and its matrix products are compared with the
// golden model; any other design's bitstream is compared with its own synthesised netlist.
// NetlistSim is also what harness/model_on_bitstream runs trained models on; this module does
// not depend on the training.
#pragma once

#include "db/store.h"
#include "harness/accel/accel.h"
#include "harness/util/util.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace detlab::equiv {

// The board a bitstream was built for.
struct Board {
    accel::ArrayConfig array{2, 8, 24};
    std::string device = "hx1k";
    std::filesystem::path pcf; // the pin file whose names become the netlist's ports
};

// From a toolchain run's (completed) configuration: "array", "device" and "rtl_dir".
Board board_from_config(const nlohmann::json& toolchain_config);

// `native` (the default) parses the netlist and simulates 64 vectors at once, bit-parallel, in
// this process (no compile). iverilog compiles in a fraction of a second but simulates slowly;
// Verilator needs ~20 s of compiling per bitstream and then runs ~60x faster. Both stay as the
// cross-check of the native simulator. `automatic` is native.
enum class Simulator { automatic, native, iverilog, verilator };
Simulator parse_simulator(std::string_view name); // throws InputError for an unknown name
std::string simulator_name(Simulator simulator);
// The simulator `automatic` resolves to (native; `cycles` and `array_size` are kept for a
// future choice by workload).
Simulator choose_simulator(Simulator requested, std::uint64_t cycles, int array_size);

// One tile product as the board top computes it: C[N x N] = A[N x K] * B[K x N], row-major.
struct TileJob {
    int k = 1;
    std::vector<std::int8_t> a, b;
};

struct TileOutput {
    std::vector<std::int32_t> c; // N*N values as read back (sign-extended AW bits)
    bool status_ok = true;       // the READ_C status byte said "done, N"
};

// Clock cycles serial_tb.v needs for these jobs (used to choose a simulator).
std::uint64_t script_cycles(const accel::ArrayConfig& config, const std::vector<TileJob>& jobs);

struct SimTiming {
    // wall seconds; compile_s is the native simulator's parsing and levelising
    double netlist_s = 0, compile_s = 0, simulate_s = 0;
    std::uint64_t cycles = 0, runs = 0, jobs = 0; // simulated clock cycles, runs, tile jobs
};

// One bitstream's gate-level simulation, made and compiled once, run for any number of batches.
// Tool failures throw std::runtime_error with the tool's own output.
class NetlistSim {
public:
    // Writes the .asc to `work_dir` (created), makes chip.v with icebox_vlog and compiles the
    // testbench around it. `simulator` must not be `automatic`.
    NetlistSim(std::string_view asc_text, const Board& board, Simulator simulator,
               const std::filesystem::path& work_dir,
               const std::function<std::string(const std::string&)>& netlist_edit = {});
    // Runs every job in one simulation, in order.
    std::vector<TileOutput> run(const std::vector<TileJob>& jobs);

    Simulator simulator() const { return simulator_; }
    const Board& board() const { return board_; }
    const SimTiming& timing() const { return timing_; }
    const std::filesystem::path& netlist_path() const { return netlist_; }

private:
    void make_netlist(std::string_view asc_text,
                      const std::function<std::string(const std::string&)>& netlist_edit);
    void compile();

    Board board_;
    Simulator simulator_;
    std::filesystem::path dir_, netlist_, executable_;
    SimTiming timing_;
};

// ---- The equivalence check ----
inline constexpr int kDefaultVectors = 256;
inline constexpr std::uint64_t kDefaultVectorSeed = 1;
inline constexpr int kDefaultDesignCycles = 1000; // random-stimulus cycles per stimulus

// The fixed vector set: zeros and edge values (-128/127) at K = 1, K = N, two products at the
// largest K the board top accepts (the biggest positive and negative sums), then seeded random
// products, mostly short K with every fourth at a random K up to the maximum. The first vectors
// are cheap, so a small `count` still covers zero, the edges and K = 1.
std::vector<TileJob> make_vectors(const accel::ArrayConfig& config, int count, std::uint64_t seed);

struct CheckOptions {
    int vectors = kDefaultVectors;
    std::uint64_t seed = kDefaultVectorSeed;
    Simulator simulator = Simulator::automatic;
    std::filesystem::path work_dir; // empty: a temporary directory, removed afterwards
    // Applied to icebox_vlog's netlist before any simulator reads it (tests: a wrong netlist).
    std::function<std::string(const std::string&)> netlist_edit;
    // For a design that is not the accelerator (check_against_synthesis, `vectors` stimuli):
    // cycles per stimulus, the clock input (empty: found) and inputs held at 0/1.
    int cycles = kDefaultDesignCycles;
    std::string clock;
    std::map<std::string, bool> hold;
};

// How a check compared the bitstream (equiv_result.json's "method").
inline constexpr const char* kMethodGoldenVectors = "golden_vectors";   // accelerator vs golden
inline constexpr const char* kMethodRandomStimulus = "random_stimulus"; // any design vs synthesis

// What one check concluded about one bitstream.
enum class Verdict {
    proved,        // a formal proof of equivalence (equiv_proof.json's result: proof.cpp)
    no_difference, // every vector matched the golden model
    differs,       // at least one vector did not
    not_checked    // the check could not run; CheckResult::reason says why
};
std::string verdict_name(Verdict verdict); // "proved", "no_difference", "differs", "not_checked"

// With `vectors` independent vectors and no mismatch, the one-sided upper confidence bound on
// the mismatch rate over the vector distribution (Clopper-Pearson with 0 successes:
// 1 - (1 - confidence)^(1/V); 95%: about 3/V, the "rule of three").
double mismatch_rate_bound(int vectors, double confidence = 0.95);

struct CheckResult {
    int vectors = 0, mismatches = 0;
    std::vector<int> mismatched;       // indices of the vectors that differ from golden
    std::vector<std::int32_t> outputs; // N*N values per vector, in vector order
    Simulator simulator = Simulator::native;
    std::string method = kMethodGoldenVectors;
    int cycles = 0; // random_stimulus: clock cycles per stimulus
    Verdict verdict = Verdict::not_checked;
    std::string reason;    // why not checked
    double rate_bound = 1; // mismatch_rate_bound(vectors) when none differ
    // Toggle coverage (native simulator only; -1 otherwise): fraction of the flip-flop outputs
    // and of the LUT outputs that took both values in some vector.
    double toggle_ff = -1, toggle_lut = -1;
    SimTiming timing;
    double wall_s = 0;
};

CheckResult check_bitstream(std::string_view asc_text, const Board& board,
                            const CheckOptions& options = {});

// outputs as int32 little-endian (the equiv_outputs.bin artifact) and back.
Bytes encode_outputs(const std::vector<std::int32_t>& outputs);
std::vector<std::int32_t> decode_outputs(std::span<const std::uint8_t> bytes);

// Adds metrics equiv_vectors, equiv_mismatches, equiv_rate_bound, equiv_toggle_ff,
// equiv_toggle_lut, equiv_wall_s, the artifacts equiv_outputs.bin and equiv_result.json
// ({"result", "reason", "vectors", ...}); a mismatch is also written into the run's message so
// it cannot be missed. A not_checked result adds only equiv_result.json (and no metric).
void add_to_run(db::RunResult& run, const CheckResult& result);
// The stored verdict of a run's check from its artifacts and metrics (runs checked before
// equiv_result.json existed count by their equiv_mismatches); nullopt when never checked.
struct StoredVerdict {
    Verdict verdict = Verdict::not_checked;
    std::string reason;
    int vectors = 0, mismatches = 0;
    double rate_bound = 1, toggle_ff = -1, toggle_lut = -1;
};
// One line for people: "no difference in 256 vectors (rate <= 1.2%, 95%)", "differs: 3 of 256
// vectors", "not checked: why", "proved".
std::string describe(const StoredVerdict& verdict);

// The design a toolchain configuration builds is the accelerator (its `top` is detlab_top or
// left out): checked against the golden model; any other top by the random-stimulus method.
bool builds_accelerator(const nlohmann::json& toolchain_config);

// ---- Wiring into builds ----
// Vectors per check requested by $DETLAB_EQUIV_VECTORS (0 or unset: no check), so sweeps,
// shards and Slurm tasks inherit the choice without it entering the runs' configurations.
int vectors_from_environment();

// Checks a finished toolchain run that holds bitstream.asc and adds the result (simulating in
// work_dir/<run id>, removed afterwards, when work_dir is set): the accelerator against the
// golden model, any other design's bitstream against the run's netlist.json by
// check_against_synthesis. A run without a bitstream is left alone. The check never changes the
// run's status: a check that cannot run (a tool missing, a netlist the simulator does not model) is
// recorded as not_checked with the reason.
void check_toolchain_run(db::RunResult& run, const nlohmann::json& config,
                         const CheckOptions& options);
// issue 27: family. Why an ECP5 or a Gowin bitstream is not checked: the reason its not_checked
// result carries (docs/equivalence.md, "ECP5", "Gowin").
extern const char* const kEcp5NotChecked;
extern const char* const kGowinNotChecked;

// The equivalence check already stored on a run, if any; run_verdict: of a run not yet stored.
std::optional<StoredVerdict> stored_check(const db::Store& store, const std::string& run_id);
std::optional<StoredVerdict> run_verdict(const db::RunResult& run);
// The verdict from a run's equiv_result.json and metrics (both may be missing).
std::optional<StoredVerdict> verdict_from(const std::optional<nlohmann::json>& result_json,
                                          const std::map<std::string, double>& metrics);
// Loads a stored toolchain run, checks its bitstream and adds the result to the stored run
// (Store::annotate_run: nothing stored is changed). Throws InputError for an unknown or
// non-toolchain run, a run without a bitstream or one already checked. A check that cannot run
// is recorded as not_checked and returned as such.
CheckResult check_stored_run(db::Store& store, const std::string& run_id,
                             const CheckOptions& options);

// Every toolchain run of an experiment with a bitstream, checked unless it already holds a
// check (so an interrupted pass resumes where it stopped). `on_run` sees each run as it goes:
// its id, and the new result or (already checked) nullptr.
struct ExperimentCheck {
    int runs = 0, already = 0, checked = 0, differs = 0, not_checked = 0;
    // Runs whose stored bitstream cannot be read back (db::BlobCorrupt): id and the problem.
    // They are left unchecked and the others are checked.
    std::vector<std::pair<std::string, std::string>> damaged;
};
ExperimentCheck
check_experiment(db::Store& store, const std::string& experiment, const CheckOptions& options,
                 const std::function<void(const std::string&, const CheckResult*)>& on_run = {});

// ---- Mutation: a deliberately wrong bitstream ----
struct LutSite {
    int x = 0, y = 0, index = 0; // logic tile and LUT 0..7 in it
};
// LUTs the netlist computes a non-constant function with, sorted by tile and index.
std::vector<LutSite> used_luts(std::string_view netlist_verilog);
// Flips truth-table bit `bit` (0..15; bit = in3*8 + in2*4 + in1*2 + in0) of one LUT in the .asc.
// Throws std::invalid_argument when the tile is not in the file.
std::string flip_lut_bit(std::string_view asc_text, const LutSite& site, int bit);
// Flips bit `bit` (0..15) of physical word `word` (0..255) of the `ram`-th block RAM whose
// contents the .asc holds (.ram_data, in file order): a wrong initial value. Throws
// std::invalid_argument when there is no such RAM.
std::string flip_ram_init_bit(std::string_view asc_text, int ram, int word, int bit);
// Swaps two data bits (0..15) of the `ram`-th SB_RAM40_4K's WDATA in icebox_vlog's netlist, as
// crossed RAM data wires would: words are stored with those bits exchanged. Throws
// std::invalid_argument when the netlist has no such RAM. (A netlist mutation: the .asc's RAM
// routing is not edited; use it through CheckOptions::netlist_edit.)
std::string swap_ram_data_bits(const std::string& netlist_verilog, int ram, int bit_a, int bit_b);

// ---- Any design: the bitstream's netlist against the design's synthesised netlist ----
// Both netlists run on the native simulator from the power-up state (flip-flops 0), driven by
// the same seeded random bits on every top-level input except the clock and the held inputs,
// and their outputs are compared after every cycle. One stimulus (a "vector" in the result) is
// one lane's `cycles`-cycle sequence; it mismatches when any output differs in any cycle.
struct DesignCheckOptions {
    int stimuli = kDefaultVectors;     // independent random stimuli, 64 per pass
    int cycles = kDefaultDesignCycles; // clock cycles per stimulus
    std::uint64_t seed = kDefaultVectorSeed;
    // The input the simulation clocks (never random); empty: the port the flip-flops' clock
    // is, else the one input named like a clock (a netlist without state needs none).
    std::string clock;
    std::map<std::string, bool> hold; // inputs held at a value throughout (e.g. a reset)
};
// `asc_text` with the pin file `pcf` that names its ports (as for nextpnr); `synthesised` is
// yosys's write_json after synth_ice40, module `top`. A netlist the simulator does not model,
// or ports that do not match, give verdict not_checked with the reason.
CheckResult check_against_synthesis(std::string_view asc_text, const std::filesystem::path& pcf,
                                    const nlohmann::json& synthesised, const std::string& top,
                                    const DesignCheckOptions& options);

// ---- A proof: the bitstream's netlist against the run's synthesised netlist (proof.cpp) ----
// Flip-flops and block RAMs are matched by the names nextpnr writes into the .asc (.sym, read
// with icebox_vlog -L) and become shared cut points; every compare point (each flip-flop's next
// state, each RAM input, each output) must then be the same function of the shared state and
// inputs, which ABC (yosys-abc iprove) decides on a combinational miter within the time limit.
enum class ProofOutcome {
    proved,    // every compare point agrees: equivalent from power-up, for every input sequence
    differs,   // a compare point differs (RAM contents at power-up, or a function: see reason)
    unfinished // not decided (time limit, a netlist not modelled, registers not matched)
};
std::string proof_outcome_name(ProofOutcome outcome); // "proved", "differs", "unfinished"

inline constexpr double kDefaultProofSeconds = 300;

struct ProofOptions {
    double time_limit_s = kDefaultProofSeconds; // the whole proof, netlist included
    std::filesystem::path work_dir;             // empty: a temporary directory
    // Applied to icebox_vlog's netlist before it is read (tests: a wrong netlist).
    std::function<std::string(const std::string&)> netlist_edit;
};

struct ProofResult {
    ProofOutcome outcome = ProofOutcome::unfinished;
    std::string reason; // why unfinished, or the first differing compare point and when
    int flip_flops = 0, rams = 0, compare_points = 0;
    std::vector<std::string> differing;      // compare points that differ in the counterexample
    std::vector<std::string> counterexample; // the shared variables that are 1 in it (else 0)
    double netlist_s = 0, solve_s = 0, wall_s = 0;
};

ProofResult prove_against_synthesis(std::string_view asc_text, const std::filesystem::path& pcf,
                                    const nlohmann::json& synthesised, const std::string& top,
                                    const ProofOptions& options);

// A proof stored on a run beside the simulation's check (never replacing it): the artifact
// equiv_proof.json ({"result": proved | differs | the simulation's verdict when the proof did
// not finish, "proof", "reason", "differing", ...}) and the metric equiv_proof_wall_s.
inline constexpr const char* kProofArtifact = "equiv_proof.json";
inline constexpr const char* kProofWallMetric = "equiv_proof_wall_s";
nlohmann::json proof_json(const ProofResult& proof, const std::optional<StoredVerdict>& simulated,
                          double time_limit_s);
// Proves a stored toolchain run's bitstream against its netlist.json and records the result.
// Throws InputError for an unknown or non-toolchain run, one without both artifacts, an ECP5
// or Gowin build, or a run that already holds a proof.
ProofResult prove_stored_run(db::Store& store, const std::string& run_id,
                             const ProofOptions& options);
// The proof of a finished toolchain run not yet stored (a sweep's `equiv_prove`), added to it
// the same way (working in work_dir/<run id>, removed afterwards, when work_dir is set). A run
// without bitstream.asc and netlist.json, or a time limit <= 0, is left alone; an ECP5 build and
// a proof that cannot run are recorded as unfinished with the reason, never failing the build.
void prove_toolchain_run(db::RunResult& run, const nlohmann::json& config,
                         const ProofOptions& options);

// ---- Benchmark: the check's cost against the builds it checks ----
// The bitstreams come from one .asc file, one stored toolchain run or (neither given) fresh
// builds of the accelerator with placement seeds 1..builds, each timed: the baseline is measured
// in the same run, so the ratio compares like with like.
struct BenchOptions {
    int builds = 2;                   // fresh builds (seeds 1..builds) when no asc_file or run_id
    int array = 2;                    // the builds' array size, or the one asc_file was built for
    std::string device = "hx1k";      // likewise the device
    std::filesystem::path asc_file;   // a bitstream.asc: no build, no ratio
    std::string run_id;               // a stored toolchain run's bitstream: no build, no ratio
    const db::Store* store = nullptr; // holds run_id
    int vectors = kDefaultVectors;    // the native check of every bitstream
    std::uint64_t seed = kDefaultVectorSeed;
    // Also check each bitstream on `cross_vectors` vectors with this simulator and with the
    // native one, and compare the outputs (nullopt: no cross-check).
    std::optional<Simulator> cross_check;
    int cross_vectors = 8;
    // Also prove each bitstream against its synthesised netlist within this many seconds
    // (0: no proof); the proof's time is compared with the build's like the check's.
    double prove_s = 0;
};

struct BenchBuild {
    int seed = 0;
    double wall_s = 0; // the whole build (synthesis, place and route, packing)
};

struct BenchBitstream {
    CheckResult check; // native, BenchOptions::vectors
    // With a cross-check: the native simulator and the other one on cross_vectors vectors.
    std::optional<CheckResult> cross_native, cross_other;
    std::optional<ProofResult> proof; // with BenchOptions::prove_s
    bool cross_identical() const;     // both ran and gave the same outputs
    double cross_ratio() const;       // other / native whole-check wall time
};

struct BenchResult {
    Board board;
    std::vector<BenchBuild> builds;         // empty when the bitstream came from a file or run
    std::vector<BenchBitstream> bitstreams; // in build order
    double check_mean_s = 0, build_mean_s = 0;
    // check / build wall time per build (empty without builds), their mean, min and max.
    std::vector<double> ratios;
    double ratio_mean = 0, ratio_min = 0, ratio_max = 0;
    std::vector<double> proof_ratios; // proof / build wall time per build, with a proof
};

// Builds (or loads) the bitstreams, then checks each. `on_build` sees each build as it finishes.
// A build that fails throws std::runtime_error with the tool's message; a stored run without a
// bitstream is an InputError.
BenchResult bench_check(const BenchOptions& options,
                        const std::function<void(const BenchBuild&)>& on_build = {});

} // namespace detlab::equiv
