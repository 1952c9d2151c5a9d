#include "harness/tensor_file/tensor_file.h"

#include <catch2/catch.hpp>

using namespace detlab;

TEST_CASE("tensor files round-trip and reject damage") {
    std::vector<Tensor> tensors{{"w1", {2, 3}, {1, 2, 3, 4, 5, -0.5f}}, {"b", {2}, {0, 1e-9f}}};
    Bytes bytes = encode_tensors(tensors);
    auto back = decode_tensors(bytes);
    REQUIRE(back.size() == 2);
    CHECK(back[0].name == "w1");
    CHECK(back[0].shape == std::vector<std::uint32_t>{2, 3});
    CHECK(back[0].values == tensors[0].values);
    CHECK(back[1].values == tensors[1].values);

    Bytes truncated(bytes.begin(), bytes.end() - 3);
    CHECK_THROWS_WITH(decode_tensors(truncated, "x.bin"), Catch::Contains("x.bin: byte"));
    Bytes bad_magic = bytes;
    bad_magic[0] = 'X';
    CHECK_THROWS_WITH(decode_tensors(bad_magic), Catch::Contains("bad magic"));
}

TEST_CASE("a tensor whose dimensions multiply past 2^64 is refused, not decoded empty") {
    // Found by fuzz_dltn: rank 6, dims 2, 2, 2^23*127, 2^24*191, 2^23*125, 2^30 multiply to a
    // multiple of 2^64, which wrapped to 0 values; the tensor decoded with a shape it did not
    // hold (a reader trusting the shape would run off its values).
    Bytes bytes{'D', 'L', 'T', 'N', 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'w', '1', 6, 0, 0, 0};
    for (std::uint32_t dim : {2u, 2u, 0x3f800000u, 0xbf000000u, 0x3e800000u, 0x40000000u})
        for (int shift = 0; shift < 32; shift += 8)
            bytes.push_back(static_cast<std::uint8_t>(dim >> shift));
    CHECK_THROWS_WITH(decode_tensors(bytes, "w.bin"),
                      Catch::Contains("w.bin: byte") &&
                          Catch::Contains("claims more values than the file holds"));
    // A zero dimension is a real, empty tensor.
    auto empty = decode_tensors(encode_tensors({{"none", {3, 0}, {}}}));
    REQUIRE(empty.size() == 1);
    CHECK(empty[0].values.empty());
}
