#include "harness/invariant/invariant.h"
#include "harness/util/util.h"

#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("DETLAB_ASSERT passes quietly and fails as an internal error, never as an input error") {
    int checked = 0;
    DETLAB_ASSERT(++checked == 1); // the condition is evaluated once
    CHECK(checked == 1);
    DETLAB_ASSERT(checked == 1, "with a detail");

    CHECK_THROWS_WITH(DETLAB_ASSERT(checked == 2, "checked is " + std::to_string(checked)),
                      Catch::StartsWith("internal error: test_invariant.cpp:") &&
                          Catch::Contains("checked == 2: checked is 1"));
    try {
        DETLAB_ASSERT(checked == 2);
        FAIL("DETLAB_ASSERT did not throw");
    } catch (const InputError&) {
        FAIL("a broken invariant must not read as the user's bad input (exit 2)");
    } catch (const InternalError& error) {
        CHECK(std::string(error.what()).ends_with(": checked == 2"));
    }
}
