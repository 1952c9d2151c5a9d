// The verdict tests' constructed databases: toolchain and training studies recorded to order
// (distinct or equal outputs, a chosen spread, parallel builds, equivalence outputs), and a
// World in which every claim comes out supported, for each case to break one part of.
#pragma once

#include "analysis/analysis.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace detlab::testing {

using namespace detlab::analysis;
namespace fs = std::filesystem;

// 16 payload bytes in a minimal iCE40 bitstream (one 16 x 8 CRAM bank); seed 0: all 0x5A.
inline Bytes bitstream(std::uint64_t seed) {
    Bytes bin{0xFF, 0x00, 0x00, 0xFF, 0x7E, 0xAA, 0x99, 0x7E, 0x62,
              0x00, 0x0F, 0x72, 0x00, 0x08, 0x11, 0x00, 0x01, 0x01};
    detlab::DeterministicRng rng(seed);
    for (int i = 0; i < 16; ++i)
        bin.push_back(seed ? static_cast<std::uint8_t>(rng.below(256)) : 0x5A);
    Bytes tail{0x00, 0x00, 0x22, 0x00, 0x00, 0x01, 0x06, 0x00};
    bin.insert(bin.end(), tail.begin(), tail.end());
    return bin;
}

struct Builds {
    std::string study, factor;
    int runs = 0;
    bool distinct = false;            // each run its own bitstream, else all the same one
    double fmax = 100, fmax_step = 0; // run i: fmax + fmax_step * (i % 5 - 2)
    bool parallel = false;
    std::optional<double> icetime_step; // icetime's Fmax: fmax + step * (i % 5 - 2); none: not run
    std::optional<bool> same_function;  // equivalence outputs equal (true) or not; none: not run
};

inline void record(db::Store& store, const Builds& b) {
    for (int i = 0; i < b.runs; ++i) {
        db::RunResult r;
        r.config_json = nlohmann::json{{"study", b.study}, {"i", i}}.dump();
        r.repeat = i;
        r.id = db::run_id("toolchain", r.config_json, r.repeat);
        r.experiment = "constructed";
        r.kind = "toolchain";
        r.add_param("study", b.study);
        r.add_param("factor", b.factor);
        r.add_param("factor_value", std::to_string(i));
        r.add_param("parallel_refine", b.parallel ? "true" : "false");
        r.add_artifact("bitstream.bin",
                       bitstream(b.distinct ? 1000 + std::hash<std::string>{}(b.study) % 1000 +
                                                  std::uint64_t(i)
                                            : 0));
        r.add_artifact("netlist.json", std::string_view("{}"));
        r.add_metric("fmax_mhz", b.fmax + b.fmax_step * (i % 5 - 2));
        if (b.icetime_step)
            r.add_metric("fmax_icetime_mhz", b.fmax + *b.icetime_step * (i % 5 - 2));
        if (b.same_function) {
            std::int32_t words[2] = {1, *b.same_function ? 2 : i};
            Bytes out(8);
            std::memcpy(out.data(), words, 8);
            r.add_artifact("equiv_outputs.bin", out);
            r.add_metric("equiv_vectors", 1);
        }
        store.record_run(r);
    }
}

struct Trainings {
    std::string study, factor;
    int runs = 0;
    bool distinct = false;                     // each run its own weights
    int odd_run = -1;                          // this run's weights differ from the others'
    double accuracy = 0.95, accuracy_step = 0; // run i: accuracy + step * (i % 5 - 2)
    std::string backend = "golden";
    std::string model = "mlp";
    int flipped_samples = 0; // run i predicts another class on its own k test samples
};

inline void record(db::Store& store, const Trainings& t) {
    const int test_samples = 400;
    for (int i = 0; i < t.runs; ++i) {
        db::RunResult r;
        r.config_json = nlohmann::json{{"study", t.study}, {"i", i}}.dump();
        r.repeat = i;
        r.id = db::run_id("train", r.config_json, r.repeat);
        r.experiment = "constructed";
        r.kind = "train";
        r.add_param("study", t.study);
        r.add_param("factor", t.factor);
        r.add_param("factor_value", std::to_string(i));
        r.add_param("backend", t.backend);
        r.add_param("model", t.model);
        detlab::DeterministicRng rng(t.distinct || i == t.odd_run ? 77 + std::uint64_t(i) : 1);
        Tensor w{"w1", {16}, {}};
        for (int k = 0; k < 16; ++k)
            w.values.push_back(float(rng.below(1000)) / 1000.0f - 0.5f);
        r.add_artifact("weights.bin", encode_tensors({w}));
        Tensor logits{"logits", {test_samples, 2}, {}}, labels{"labels", {test_samples}, {}};
        for (int s = 0; s < test_samples; ++s) {
            bool flipped = s / std::max(t.flipped_samples, 1) == i && t.flipped_samples > 0;
            logits.values.insert(logits.values.end(),
                                 {flipped ? 0.0f : 1.0f, flipped ? 1.0f : 0.0f});
            labels.values.push_back(0);
        }
        r.add_artifact("test_logits.bin", encode_tensors({logits, labels}));
        r.add_metric("final_test_accuracy", t.accuracy + t.accuracy_step * (i % 5 - 2));
        store.record_run(r);
    }
}

// A database where every claim comes out supported; each case then breaks one part.
struct World {
    Builds tc_seed, tc_repeat, tc_parallel;
    Trainings tr_seed, tr_repeat, tr_parallel;
    std::vector<Trainings> extra;
    World() {
        tc_seed.study = "seed";
        tc_seed.factor = "seed";
        tc_seed.runs = 10;
        tc_seed.distinct = true;
        tc_seed.fmax_step = 3;
        tc_seed.same_function = true;
        tc_repeat.study = "repeat-baseline";
        tc_repeat.factor = "repeat";
        tc_repeat.runs = 18; // 0 of 17 differ: at most 19.5% (two-sided 95%), under 20%
        tc_parallel.study = "parallel-refine";
        tc_parallel.factor = "repeat";
        tc_parallel.runs = 15;
        tc_parallel.parallel = true;
        tr_seed.study = "init";
        tr_seed.factor = "init_seed";
        tr_seed.runs = 30;
        tr_seed.distinct = true;
        tr_seed.accuracy = 0.60;
        tr_seed.accuracy_step = 0.15;
        tr_repeat.study = "repeat-baseline";
        tr_repeat.factor = "repeat";
        tr_repeat.runs = 20;
        tr_parallel.study = "float-atomic";
        tr_parallel.factor = "repeat";
        tr_parallel.runs = 20;
        tr_parallel.distinct = true;
        tr_parallel.accuracy_step = 0.001;
        tr_parallel.backend = "float-atomic";
    }
    fs::path build(const std::string& name, bool parallel = true) const {
        fs::path dir = fs::path(DETLAB_TEST_TMP) / "verdict" / name;
        fs::remove_all(dir);
        fs::create_directories(dir);
        db::Store store(dir / "detlab.db");
        record(store, tc_seed);
        record(store, tc_repeat);
        record(store, tr_seed);
        record(store, tr_repeat);
        if (parallel) {
            record(store, tc_parallel);
            record(store, tr_parallel);
        }
        for (const auto& t : extra)
            record(store, t);
        return dir / "detlab.db";
    }
    std::vector<ClaimVerdict> verdicts(const std::string& name, bool parallel = true) const {
        db::Store store(build(name, parallel));
        return analysis::verdicts(comparison_rows(analyse(store, std::nullopt)));
    }
};

inline Finding finding(const std::vector<ClaimVerdict>& list, int claim) {
    return list.at(std::size_t(claim - 1)).finding;
}

inline const Evidence& evidence_of(const ClaimVerdict& v, const std::string& label_part) {
    for (const auto& e : v.evidence)
        if (e.label.find(label_part) != std::string::npos)
            return e;
    FAIL("no evidence set " << label_part << " in claim " << v.number);
    throw std::logic_error("unreachable");
}

inline Trainings float_study(const std::string& study, const std::string& factor,
                             const std::string& model, int flipped) {
    Trainings t;
    t.study = study;
    t.factor = factor;
    t.runs = 15;
    t.distinct = true;
    t.backend = "float";
    t.model = model;
    t.flipped_samples = flipped;
    return t;
}

} // namespace detlab::testing
