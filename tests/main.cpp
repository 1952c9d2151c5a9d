// The one Catch2 main for every test executable.
#define CATCH_CONFIG_MAIN
#include "tests/skip.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

extern "C" const char* detlab_test_tmp_path() {
    return DETLAB_TEST_TMP_PATH;
}
extern "C" const char* detlab_binary_path() {
    return DETLAB_BINARY_PATH;
}
extern "C" const char* detlab_source_root_path() {
    return DETLAB_SOURCE_ROOT_PATH;
}

[[noreturn]] void detlab_skip(std::string_view why) {
    // Exits at once with the code ctest reports as "skipped" (SKIP_RETURN_CODE), so a case that
    // cannot run here is never counted as a pass. Call it before the case creates anything.
    std::fprintf(stderr, "skipped: %.*s\n", static_cast<int>(why.size()), why.data());
    std::fflush(nullptr);
    std::_Exit(DETLAB_SKIP_CODE);
}
