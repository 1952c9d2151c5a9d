// A test's own scratch folder under the build's test-tmp: emptied when made, removed at the end.
#pragma once

#include <filesystem>
#include <string>

struct Scratch {
    std::filesystem::path dir;
    explicit Scratch(const std::string& name) : dir(std::filesystem::path(DETLAB_TEST_TMP) / name) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    ~Scratch() { std::filesystem::remove_all(dir); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};
