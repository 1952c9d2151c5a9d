// A test's scratch folder, emptied and made again, under the build's test folder: each test
// file names its own area so that files run in parallel by ctest never share one.
#pragma once

#include <filesystem>
#include <string>

namespace detlab::test {

inline std::filesystem::path fresh_dir(const std::string& area, const std::string& name) {
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / area / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

} // namespace detlab::test
