// The keys of an experiment file's own tables, [experiment] and [[<domain>.vary]], in one place:
// the reader refuses any other name (experiment.cpp) and `detlab keys --format markdown` prints
// these tables into docs/experiments.md (key_docs.cpp), so the doc cannot list a key the code
// does not read, or miss one it does. Their types and ranges are checked where each is read.
#include "harness/sweep/experiment_spec.h"

namespace detlab::sweep {

const std::vector<FileKey>& experiment_table_keys() {
    static const std::vector<FileKey> keys{
        {"name", "string", "file name without `.toml`",
         "stored as the runs' experiment; the file's text is stored under it (`experiments` "
         "table)"},
        {"description", "string", "\"\"", "free text"},
        {"domains", "array of `\"toolchain\"`, `\"train\"`", "the domains that have a table",
         "which domains run, in this order"},
        {"design", "`\"one-at-a-time\"` or `\"grid\"`", "`\"one-at-a-time\"`",
         "how studies combine (below)"},
        {"repeats", "integer 1..100000", "1", "replicates of every point of a (non-repeat) study"},
        {"baseline_repeats", "integer 0..100000", "0",
         "one-at-a-time design: observations of the baseline configuration, planned after every "
         "study as a study named `baseline` (factor `repeat`), against which `detlab compare` "
         "measures each study's effect ([analysis](analysis.md#effects-against-the-baseline)); 3 "
         "in the shipped experiments. Planned last, so adding it changes no other run's id; a "
         "study the file itself names `baseline` is used instead"},
        {"equiv_vectors", "integer 0..100000", "0",
         "the equivalence check ([equivalence](equivalence.md)) of every finished toolchain build "
         "with this many vectors, run in the sweep's worker right after the build: result "
         "`equiv_result.json` (`no_difference`, `differs` or `not_checked` with the reason) and "
         "metrics `equiv_vectors`, `equiv_mismatches`, `equiv_rate_bound`, `equiv_toggle_ff`, "
         "`equiv_toggle_lut`. A check that cannot run never fails the build. It is not part of any "
         "configuration, so switching it on does not change run ids (a resumed sweep keeps its "
         "runs; check those afterwards with `detlab equiv --experiment NAME`). `--equiv N` or "
         "`$DETLAB_EQUIV_VECTORS` override it. On (256) in `quick.toml` and `lab.toml`"},
        {"equiv_prove", "integer 0..86400 (seconds)", "0",
         "a formal proof ([equivalence](equivalence.md#a-proof)) of every finished toolchain "
         "build's bitstream against its synthesised netlist, within this many seconds, in the "
         "sweep's worker after the simulation's check: artifact `equiv_proof.json` (`proof`: "
         "`proved`, `differs` or `unfinished` with the reason; `result`: the run's verdict with "
         "the proof added) and metric `equiv_proof_wall_s`. A proof that does not finish or "
         "cannot run never fails the build, and a difference is written into the run's message. "
         "Not part of any configuration (run ids do not change); prove stored runs afterwards "
         "with `detlab equiv --prove SECONDS RUN...`. 0: off"},
        {"equiv_cycles", "integer 1..1000000", "1000",
         "for a design that is not the accelerator (toolchain `top` other than `detlab_top`): "
         "clock cycles per random stimulus of the random-stimulus check (the bitstream's netlist "
         "against the run's synthesised netlist; `equiv_vectors` is then the number of stimuli, "
         "[equivalence](equivalence.md))"},
        {"equiv_clock", "port name", "found",
         "that check's clock input; default: the port the flip-flops' clock is, else the one input "
         "named like a clock"},
        {"equiv_hold", "table NAME = 0 or 1", "none",
         "inputs that check holds at a level throughout instead of driving them at random, e.g. "
         "`equiv_hold = { rst = 0 }`"},
        {"seed", "integer >= 0", "none",
         "root seed. A domain with a `root_seed` key (train) gets it as `root_seed`; in a domain "
         "without one (toolchain) every integer key ending in `seed` that the baseline table does "
         "not set is derived from it (SplitMix64 stream named `<domain>.<key>`, reduced into the "
         "key's range). Without it, the defaults apply."},
    };
    return keys;
}

const std::vector<FileKey>& study_table_keys() {
    static const std::vector<FileKey> keys{
        {"factor", "string, required", "",
         "a key of the domain marked `factor: yes`, or `\"repeat\"`"},
        {"values", "array", "", "the values of the factor (each checked like a baseline value)"},
        {"from", "integer", "",
         "instead of `values` for integer factors: the first value of `from, from+step, ... <= "
         "to`"},
        {"to", "integer", "", "with `from`: the last value at most"},
        {"step", "integer", "1", "with `from`: the step"},
        {"count", "integer >= 1", "",
         "repeat studies only: how many runs of the same configuration"},
        {"with", "inline table", "",
         "baseline overrides for this study only (not the factor itself)"},
        {"name", "string", "the factor, then `<factor>-2`, ...",
         "the study's name (`study` param)"},
        {"repeats", "integer >= 1", "`experiment.repeats`", "replicates of each value"},
        {"optional", "boolean", "false",
         "true: when a configuration of the study needs what this machine has not installed (a "
         "toolchain root), the study is left out with a note on stderr (`quick.toml:80: "
         "toolchain/tools: skipped: config: tools: toolchain root 'trixie' is not installed ...; "
         "install it with scripts/setup-toolchain trixie`) instead of the whole file failing with "
         "exit 2. Any other bad value is still an error."},
    };
    return keys;
}

std::vector<std::string> file_key_names(const std::vector<FileKey>& keys) {
    std::vector<std::string> names;
    for (const auto& key : keys)
        names.push_back(key.name);
    return names;
}

} // namespace detlab::sweep
