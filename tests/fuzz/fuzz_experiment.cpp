// Fuzzes the experiment-file parser with detlab's own domains: TOML text in, either an
// Experiment or an InputError ("file:line: key: problem") out, never a crash, a hang or
// another exception type.
#include "harness/sweep/sweep.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto experiment =
            detlab::sweep::parse_experiment(text, "fuzz.toml", detlab::sweep::builtin_domains());
        (void)experiment;
    } catch (const detlab::InputError&) {
    }
    return 0;
}
