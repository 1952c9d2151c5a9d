#include "harness/train/train.h"
#include "tests/idx_fixture.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <set>

using namespace detlab;
using namespace detlab::train;

namespace {

std::filesystem::path scratch(const std::string& name) {
    auto dir = std::filesystem::path(DETLAB_TEST_TMP) / "train";
    std::filesystem::create_directories(dir);
    return dir / name;
}

void put_u32_be(Bytes& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// A tiny IDX pair: `count` images of 2x3 pixels and their labels.
std::pair<Bytes, Bytes> tiny_idx(std::uint32_t count) {
    Bytes images{0, 0, 0x08, 3}, labels{0, 0, 0x08, 1};
    put_u32_be(images, count);
    put_u32_be(images, 2);
    put_u32_be(images, 3);
    put_u32_be(labels, count);
    for (std::uint32_t i = 0; i < count; ++i) {
        for (std::uint8_t p = 0; p < 6; ++p)
            images.push_back(static_cast<std::uint8_t>(i * 40 + p));
        labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    return {images, labels};
}

} // namespace

TEST_CASE("the shipped digits load with their hash, shape and value range") {
    auto digits = load_digits_csv(digits_path(), kDigitsSha256);
    CHECK(digits.size() == 1797);
    CHECK(digits.features == 64);
    CHECK(digits.inputs.size() == 1797u * 64u);
    std::map<int, int> per_class;
    for (int label : digits.labels)
        ++per_class[label];
    CHECK(per_class.size() == 10);
    CHECK(*std::max_element(digits.inputs.begin(), digits.inputs.end()) == 1.0f);
    CHECK(*std::min_element(digits.inputs.begin(), digits.inputs.end()) == 0.0f);
}

TEST_CASE("a digits file with the wrong hash is refused") {
    auto path = scratch("digits-copy.csv");
    write_file(path, std::string_view("0,0,0\n"));
    CHECK_THROWS_WITH(load_digits_csv(path, kDigitsSha256),
                      Catch::Contains(path.string() + ": SHA-256") &&
                          Catch::Contains("damaged or replaced"));
}

TEST_CASE("malformed digits lines name the file and line") {
    std::string good;
    for (int i = 0; i < 64; ++i)
        good += std::to_string(i % 17) + ",";
    good += "3\n";
    auto path = scratch("bad-digits.csv");

    write_file(path, good + good + "1,2,3\n" + good);
    CHECK_THROWS_WITH(load_digits_csv(path),
                      Catch::Contains(path.string() + ":3: expected 65 fields"));

    std::string bad_pixel = good; // starts with "0,"
    bad_pixel[0] = 'x';
    write_file(path, good + bad_pixel);
    CHECK_THROWS_WITH(load_digits_csv(path),
                      Catch::Contains(path.string() + ":2: field 1: \"x\" is not an integer"));

    write_file(path, good + "17," + good.substr(2));
    CHECK_THROWS_WITH(load_digits_csv(path), Catch::Contains(":2: field 1: pixel 17"));

    std::string bad_label = good.substr(0, good.size() - 2) + "10\n";
    write_file(path, bad_label);
    CHECK_THROWS_WITH(load_digits_csv(path), Catch::Contains(":1: label 10 is outside 0..9"));

    write_file(path, good + good);
    CHECK(load_digits_csv(path).size() == 2);
}

TEST_CASE("the split is stratified, disjoint and independent of the run's seeds") {
    nlohmann::json config = complete_config(config_keys(), {}, "test");
    auto split = load_split(config);
    config["root_seed"] = 99;
    config["shuffle_seed"] = 5;
    auto again = load_split(config);
    CHECK(split.train.inputs == again.train.inputs);
    CHECK(split.test.labels == again.test.labels);
    CHECK(split.train.size() + split.test.size() == 1797);
    CHECK(split.test.size() == 359); // 20% of each class, rounded

    std::map<int, int> train_count, test_count;
    for (int label : split.train.labels)
        ++train_count[label];
    for (int label : split.test.labels)
        ++test_count[label];
    for (int c = 0; c < 10; ++c) {
        double share = double(test_count[c]) / (train_count[c] + test_count[c]);
        CHECK(share == Approx(0.2).margin(0.01));
    }
    // No test image also appears in the training set (the digits hold no exact duplicates
    // across a stratified split unless the split leaks rows).
    std::set<std::vector<float>> train_rows;
    for (std::size_t i = 0; i < split.train.size(); ++i)
        train_rows.insert({split.train.inputs.begin() + static_cast<long>(i * 64),
                           split.train.inputs.begin() + static_cast<long>((i + 1) * 64)});
    std::size_t shared = 0;
    for (std::size_t i = 0; i < split.test.size(); ++i)
        shared += train_rows.count({split.test.inputs.begin() + static_cast<long>(i * 64),
                                    split.test.inputs.begin() + static_cast<long>((i + 1) * 64)});
    CHECK(shared == 0);

    config["train_size"] = 100;
    config["test_size"] = 50;
    auto small = load_split(config);
    CHECK(small.train.size() == 100);
    CHECK(small.test.size() == 50);
    CHECK(small.test.labels ==
          std::vector<int>(split.test.labels.begin(), split.test.labels.begin() + 50));
}

TEST_CASE("IDX files load, and truncated or damaged ones name the offset") {
    auto [images, labels] = tiny_idx(3);
    auto image_path = scratch("tiny-images-idx3-ubyte"),
         label_path = scratch("tiny-labels-idx1-ubyte");
    write_file(image_path, images);
    write_file(label_path, labels);
    auto data = load_idx(image_path, label_path);
    CHECK(data.size() == 3);
    CHECK(data.features == 6);
    CHECK(data.labels == std::vector<int>{0, 1, 2});
    CHECK(data.inputs[6 + 1] == Approx(41.0f / 255.0f));

    Bytes truncated(images.begin(), images.end() - 4);
    write_file(image_path, truncated);
    CHECK_THROWS_WITH(load_idx(image_path, label_path),
                      Catch::Contains(image_path.string() + ": byte 30: truncated") &&
                          Catch::Contains("promises 18 values"));

    write_file(image_path, Bytes(images.begin(), images.begin() + 10));
    CHECK_THROWS_WITH(load_idx(image_path, label_path),
                      Catch::Contains(": byte 10: truncated IDX header"));

    Bytes bad_magic = images;
    bad_magic[2] = 0x0d;
    write_file(image_path, bad_magic);
    CHECK_THROWS_WITH(load_idx(image_path, label_path), Catch::Contains(": byte 0: not an IDX"));

    write_file(image_path, images);
    Bytes bad_label = labels;
    bad_label[10] = 12; // the third label, after the 8-byte header
    write_file(label_path, bad_label);
    CHECK_THROWS_WITH(load_idx(image_path, label_path),
                      Catch::Contains(label_path.string() + ": byte 10: label 12"));
}

TEST_CASE("IDX dimensions whose product wraps around are refused") {
    // 4 images of 2^31 x 2^31 pixels: 2^64 values, which wrapped to 0 and matched a file that
    // holds none; the data set then had 4 images of 0 (2^62 cut to int) features.
    auto images = testing::idx_bytes(0x803, {4, 0x80000000u, 0x80000000u}, 0, 256);
    auto labels = testing::idx_bytes(0x801, {4}, 4, 10);
    CHECK_THROWS_WITH(decode_idx(images, labels, "huge-images", "labels"),
                      Catch::Contains("huge-images: byte") &&
                          Catch::Contains("dimensions promise more values than the file holds"));
    auto fine = decode_idx(testing::idx_bytes(0x803, {2, 3, 1}, 6, 256),
                           testing::idx_bytes(0x801, {2}, 2, 10), "images", "labels");
    CHECK(fine.size() == 2);
    CHECK(fine.features == 3);
}

TEST_CASE("a missing Fashion-MNIST is bad input, found before the run starts") {
    auto empty = scratch("no-fashion-mnist");
    std::filesystem::create_directories(empty);
    setenv("DETLAB_FASHION_MNIST", empty.c_str(), 1);
    // The data set's bytes are part of the configuration's identity, so a data set that is
    // not there fails as bad input (exit code 2), like a missing RTL file.
    CHECK_THROWS_AS(run_training({{"dataset", "fashion-mnist"}, {"epochs", 1}}, 0, {}), InputError);
    try {
        run_training({{"dataset", "fashion-mnist"}, {"epochs", 1}}, 0, {});
    } catch (const InputError& error) {
        CHECK_THAT(std::string(error.what()), Catch::Contains("dataset-fashion-mnist") &&
                                                  Catch::Contains("train-images-idx3-ubyte"));
    }
    unsetenv("DETLAB_FASHION_MNIST");
}
