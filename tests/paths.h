// Where the build put things, for every test (included by the compiler: -include in
// tests/CMakeLists.txt). The values live in main.cpp alone, so no other test object holds a
// checkout's absolute path.
#pragma once

extern "C" const char* detlab_test_tmp_path();
extern "C" const char* detlab_binary_path();
extern "C" const char* detlab_source_root_path();

#define DETLAB_TEST_TMP (detlab_test_tmp_path())
#define DETLAB_BINARY (detlab_binary_path())
#define DETLAB_SOURCE_ROOT (detlab_source_root_path())
