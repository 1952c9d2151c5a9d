// Domains with the shape of toolchain and train, for tests of the sweep's own logic.
#pragma once

#include "harness/sweep/sweep.h"

namespace detlab::sweep::testing {

inline std::vector<KeySpec> fake_toolchain_keys() {
    using T = KeySpec::Type;
    return {
        {"device", T::string, "hx1k", "device", 0, 0, {"hx1k", "hx8k"}, false},
        {"seed", T::integer, 1, "placement seed", 0, 1e9, {}, true},
        {"threads", T::integer, 1, "threads", 1, 64, {}, true},
        {"parallel_refine", T::boolean, false, "parallel refinement", 0, 0, {}, true},
        {"placer", T::string, "heap", "placer", 0, 0, {"heap", "sa"}, true},
        {"reuse_synthesis", T::boolean, true, "reuse a cached netlist", 0, 0, {}, false},
    };
}

inline std::vector<KeySpec> fake_train_keys() {
    using T = KeySpec::Type;
    return {
        {"epochs", T::integer, 20, "epochs", 1, 10000, {}, false},
        {"backend", T::string, "golden", "backend", 0, 0, {"golden", "float-atomic"}, true},
        {"root_seed", T::integer, 1, "root seed", 0, 1e15, {}, true},
        {"init_seed", T::integer, 0, "init seed", 0, 1e15, {}, true},
        {"learning_rate", T::real, 0.05, "learning rate", 0, 10, {}, false},
    };
}

inline std::vector<Domain> fake_domains(RunFunction toolchain_run = {},
                                        RunFunction train_run = {}) {
    Domain toolchain;
    toolchain.kind = "toolchain";
    toolchain.keys = fake_toolchain_keys();
    toolchain.run = std::move(toolchain_run);
    toolchain.repeat_overrides["reuse_synthesis"] = false;
    Domain train;
    train.kind = "train";
    train.keys = fake_train_keys();
    train.run = std::move(train_run);
    return {toolchain, train};
}

} // namespace detlab::sweep::testing
