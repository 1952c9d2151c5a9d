#include "harness/accel/accel.h"

#include <catch2/catch.hpp>

using namespace detlab::accel;
using serial::Frame;

TEST_CASE("serial frames carry operands one k at a time, lane 0 first") {
    ArrayConfig config{2, 8, 24};
    // A is 2 x 3, B is 3 x 2, row-major.
    std::vector<std::int8_t> a{1, 2, 3, -1, -2, -128};
    std::vector<std::int8_t> b{10, 11, 20, 21, 30, 127};
    CHECK(serial::write_a_frame(config, 3, a.data()) == Frame{0x01, 1, 0xFF, 2, 0xFE, 3, 0x80});
    CHECK(serial::write_b_frame(config, 3, b.data()) == Frame{0x02, 10, 11, 20, 21, 30, 127});
    CHECK(serial::run_frame(3) == Frame{0x03, 2});
    CHECK(serial::run_frame(256) == Frame{0x03, 255});
    CHECK_THROWS_AS(serial::run_frame(0), std::invalid_argument);
    CHECK_THROWS_AS(serial::run_frame(257), std::invalid_argument);
    Frame read = serial::read_c_frame(config);
    CHECK(read.size() == 13);
    CHECK(read[0] == 0x04);
}

TEST_CASE("scripts encode frames, waits and the end marker") {
    serial::Script script;
    script.frame({0x03, 0x07});
    script.wait(5000);
    CHECK(script.text() == "0003\n0007\n0100\n1fff\n1389\nffff\n");
    CHECK(script.frames().size() == 1);
}

TEST_CASE("READ_C responses decode to sign-extended results and check the status") {
    ArrayConfig config{2, 8, 24};
    Frame response{0x42, 0xFF, 0xFE, 0x90, 0x00, 0x00, 0x01, 0x7F, 0xFF, 0xFF, 0x80, 0x00, 0x00};
    CHECK(serial::decode_read_c(config, response) ==
          std::vector<std::int32_t>{-368, 1, 8388607, -8388608});
    Frame busy = response;
    busy[0] = 0x82;
    CHECK_THROWS_WITH(serial::decode_read_c(config, busy), Catch::Contains("0x82"));
    Frame other_size = response;
    other_size[0] = 0x44;
    CHECK_THROWS_AS(serial::decode_read_c(config, other_size), std::runtime_error);
    response.pop_back();
    CHECK_THROWS_AS(serial::decode_read_c(config, response), std::runtime_error);
}

TEST_CASE("testbench output splits into one response per frame") {
    ArrayConfig config{2, 8, 24};
    std::vector<std::int8_t> a{1, 2}, b{3, 4};
    serial::Script script;
    script.tile_job(config, 1, a.data(), b.data());
    // write A (3 bytes), write B (3), run (2), read C (13)
    std::string text = "02\n00\n00\n02\n00\n00\n42\n00\n42\n";
    for (int i = 0; i < 12; ++i)
        text += i % 3 == 2 ? "05\n" : "00\n";
    auto miso = serial::parse_miso_text(text);
    REQUIRE(miso.size() == 21);
    auto results = serial::decode_results(config, script, miso);
    REQUIRE(results.size() == 1);
    CHECK(results[0] == std::vector<std::int32_t>{5, 5, 5, 5});
    miso.pop_back();
    CHECK_THROWS_WITH(serial::decode_results(config, script, miso),
                      Catch::Contains("20 bytes, the script sent 21"));
    CHECK_THROWS_WITH(serial::parse_miso_text("0a\nzz\n"), Catch::Contains("line 2"));
}
