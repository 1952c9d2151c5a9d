// A case that cannot run on this machine (no Slurm, no optional data set) says so and ends as
// "skipped" in ctest, never as a pass: detlab_skip("why") prints the reason and exits with the
// code that tests/CMakeLists.txt gives every discovered test as SKIP_RETURN_CODE.
#pragma once

#include <string_view>

[[noreturn]] void detlab_skip(std::string_view why);
