// The two neutralisers every command's output goes through: csv_cell (OWASP's CSV-injection
// guidance) and terminal_safe (no control character reaches a terminal).
#include "harness/util/util.h"

#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("CSV cells a spreadsheet would run as formulas are neutralised, numbers kept") {
    CHECK(csv_cell("=1+1") == "\"'=1+1\"");
    CHECK(csv_cell("+cmd") == "\"'+cmd\"");
    CHECK(csv_cell("-2+3") == "\"'-2+3\"");
    CHECK(csv_cell("@SUM(A1)") == "\"'@SUM(A1)\"");
    CHECK(csv_cell("\t=x") == "\"'\t=x\"");
    CHECK(csv_cell("\r=x") == "\"'\r=x\"");
    CHECK(csv_cell("=\"a\",b") == "\"'=\"\"a\"\",b\"");
    CHECK(csv_cell("-1.5") == "-1.5");
    CHECK(csv_cell("+3e4") == "+3e4");
    CHECK(csv_cell("plain") == "plain");
    CHECK(csv_cell("a,b") == "\"a,b\"");
    CHECK(csv_cell("") == "");
}

TEST_CASE("control characters reach a terminal only as visible escapes") {
    CHECK(terminal_safe("evil\x1b]0;title\x07") == "evil\\x1b]0;title\\x07");
    CHECK(terminal_safe("a\nb\tc\rd") == "a\\nb\\tc\\rd");
    CHECK(terminal_safe("\xc2\x9b"
                        "31m") == "\\u009b31m"); // C1 CSI in UTF-8
    CHECK(terminal_safe("\x9b"
                        "31m") == "\\x9b31m"); // a lone byte that is not UTF-8
    CHECK(terminal_safe("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");
    CHECK(terminal_safe("back\\slash") == "back\\\\slash");
    CHECK(terminal_safe("\x7f") == "\\x7f");
    std::string key(1'000'000, 'k');
    auto shown = terminal_safe(key, 100);
    CHECK(shown == std::string(100, 'k') + "... (1000000 bytes in all)");
}
