// The one Catch2 main for every test executable.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

extern "C" const char* detlab_test_tmp_path() {
    return DETLAB_TEST_TMP_PATH;
}
extern "C" const char* detlab_binary_path() {
    return DETLAB_BINARY_PATH;
}
extern "C" const char* detlab_source_root_path() {
    return DETLAB_SOURCE_ROOT_PATH;
}
