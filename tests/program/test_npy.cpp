// The .npy reader: every field of the header checked, sizes checked before allocation.
#include "harness/program/program.h"
#include "tests/program/npy_bytes.h"

#include <catch2/catch.hpp>
#include <filesystem>

namespace fs = std::filesystem;
using namespace detlab;
using testing::float_bytes;
using testing::npy_file;

namespace {

fs::path scratch() {
    auto dir = fs::path(DETLAB_TEST_TMP) / "program-npy";
    fs::create_directories(dir);
    return dir;
}

fs::path write(const std::string& name, const Bytes& bytes) {
    auto path = scratch() / name;
    write_file(path, bytes);
    return path;
}

} // namespace

TEST_CASE("float32 arrays are read with their shape, in format 1.0 and 2.0") {
    for (int major : {1, 2}) {
        auto path = write("ok.npy", npy_file("{'descr': '<f4', 'fortran_order': False, "
                                             "'shape': (2, 3), }",
                                             float_bytes({1, 2, 3, 4, 5, -0.5f}), major));
        program::NpyHeader header;
        auto values = program::read_npy_float32(path, 100, &header);
        CHECK(values == std::vector<float>{1, 2, 3, 4, 5, -0.5f});
        CHECK(header.shape == std::vector<std::uint64_t>{2, 3});
    }
    auto scalar = write("scalar.npy", npy_file("{'descr': '<f4', 'fortran_order': False, "
                                               "'shape': (), }",
                                               float_bytes({7})));
    CHECK(program::read_npy_float32(scalar, 1) == std::vector<float>{7});
}

TEST_CASE("integer arrays of every size and sign are read as int64") {
    auto u1 = write("u1.npy", npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
                                       Bytes{0, 9, 255}));
    CHECK(program::read_npy_integers(u1, 3) == std::vector<std::int64_t>{0, 9, 255});
    Bytes i8(16, 0xff); // -1, -1
    auto wide =
        write("i8.npy", npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i8));
    CHECK(program::read_npy_integers(wide, 2) == std::vector<std::int64_t>{-1, -1});
    auto floats =
        write("f4.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                                 float_bytes({1})));
    CHECK_THROWS_WITH(program::read_npy_integers(floats, 1), Catch::Contains("integer"));
}

TEST_CASE("malformed and oversized .npy files are refused with the file's name") {
    struct Case {
        std::string name;
        Bytes bytes;
        std::string message;
    };
    auto dict = [](const std::string& descr, const std::string& order, const std::string& shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape +
               ", }";
    };
    std::vector<Case> cases{
        {"magic.npy", Bytes{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0}, "no \\x93NUMPY magic"},
        {"big-endian.npy", npy_file(dict(">f4", "False", "(1,)"), float_bytes({1})),
         "unsupported dtype"},
        {"float16.npy", npy_file(dict("<f2", "False", "(2,)"), Bytes(4)), "unsupported dtype"},
        {"fortran.npy", npy_file(dict("<f4", "True", "(2, 2)"), float_bytes({1, 2, 3, 4})),
         "fortran_order"},
        {"short.npy", npy_file(dict("<f4", "False", "(3,)"), float_bytes({1, 2})), "bytes of data"},
        {"long.npy", npy_file(dict("<f4", "False", "(1,)"), float_bytes({1, 2})), "bytes of data"},
        // A header that claims a billion floats in a 100-byte file: refused before allocation.
        {"claims.npy", npy_file(dict("<f4", "False", "(1000000000,)"), float_bytes({1})), "limit"},
        {"overflow.npy", npy_file(dict("<f4", "False", "(4294967296, 4294967296, 4294967296)"), {}),
         "overflows"},
        {"rank.npy",
         npy_file(dict("<f4", "False", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), float_bytes({1})),
         "rank above 8"},
        {"key.npy",
         npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                  float_bytes({1})),
         "unknown key"},
        {"missing.npy", npy_file("{'descr': '<f4', 'shape': (1,), }", float_bytes({1})),
         "needs descr, fortran_order and shape"},
        {"syntax.npy",
         npy_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", float_bytes({1})),
         "True or False"},
        {"int.npy", npy_file(dict("<i4", "False", "(1,)"), Bytes(4)), "float32"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto path = write(c.name, c.bytes);
        CHECK_THROWS_WITH(program::read_npy_float32(path, 1000),
                          Catch::StartsWith(path.string() + ": ") && Catch::Contains(c.message));
    }
    // A header whose declared length runs past the end of the file.
    Bytes cut = npy_file(dict("<f4", "False", "(1,)"), {});
    cut.resize(20);
    auto path = write("cut.npy", cut);
    CHECK_THROWS_WITH(program::read_npy_float32(path, 10),
                      Catch::Contains("length beyond the file"));
}
