// What the training tests read from a finished run, failing the test (not throwing) when it is
// missing.
#pragma once

#include "db/store.h"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace detlab::test {

inline const Bytes& artifact(const db::RunResult& run, const std::string& name) {
    if (const auto* found = run.find_artifact(name))
        return found->bytes;
    FAIL("run has no artifact " << name);
    throw std::logic_error("unreachable");
}

inline double final_metric(const db::RunResult& run, const std::string& key) {
    if (auto value = run.metric(key))
        return *value;
    FAIL("run has no metric " << key);
    return 0;
}

} // namespace detlab::test
