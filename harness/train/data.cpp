// Data sets: the shipped digits CSV, Fashion-MNIST IDX files, and the fixed stratified split.
#include "harness/train/train.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <zlib.h>

namespace detlab::train {
namespace {

constexpr int kDigitsFeatures = 64;
constexpr int kDigitsMaxPixel = 16;
constexpr int kClasses = 10;

// Reads a whole file through zlib, which passes uncompressed files through unchanged.
Bytes read_gzip_or_plain(const std::filesystem::path& path) {
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file)
        throw std::runtime_error("cannot open " + path.string() + " for reading");
    Bytes bytes;
    std::uint8_t chunk[1 << 16];
    for (;;) {
        int got = gzread(file.get(), chunk, sizeof chunk);
        if (got < 0) {
            int code = 0;
            throw std::runtime_error(path.string() + ": " + gzerror(file.get(), &code));
        }
        if (got == 0)
            break;
        bytes.insert(bytes.end(), chunk, chunk + got);
    }
    return bytes;
}

[[noreturn]] void fail_line(const std::filesystem::path& path, long line,
                            const std::string& problem) {
    throw std::runtime_error(input_error_message(path.string(), line, "", problem));
}

// One CSV line: 64 pixels then the label, appended to `data`.
void parse_digits_line(std::string_view text, const std::filesystem::path& path, long line,
                       Dataset& data) {
    int field = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = std::min(text.find(',', start), text.size());
        std::string_view token = text.substr(start, end - start);
        int value = 0;
        auto [rest, error] = std::from_chars(token.data(), token.data() + token.size(), value);
        if (error != std::errc() || rest != token.data() + token.size())
            fail_line(path, line,
                      "field " + std::to_string(field + 1) + ": \"" + std::string(token) +
                          "\" is not an integer");
        if (field < kDigitsFeatures) {
            if (value < 0 || value > kDigitsMaxPixel)
                fail_line(path, line,
                          "field " + std::to_string(field + 1) + ": pixel " +
                              std::to_string(value) + " is outside 0..16");
            data.inputs.push_back(static_cast<float>(value) / kDigitsMaxPixel);
        } else if (field == kDigitsFeatures) {
            if (value < 0 || value >= kClasses)
                fail_line(path, line, "label " + std::to_string(value) + " is outside 0..9");
            data.labels.push_back(value);
        }
        ++field;
        start = end + 1;
    }
    if (field != kDigitsFeatures + 1)
        fail_line(path, line,
                  "expected 65 fields (64 pixels and a label), found " + std::to_string(field));
}

std::uint32_t big_endian_u32(const Bytes& bytes, std::size_t offset) {
    return static_cast<std::uint32_t>(bytes[offset]) << 24 |
           static_cast<std::uint32_t>(bytes[offset + 1]) << 16 |
           static_cast<std::uint32_t>(bytes[offset + 2]) << 8 | bytes[offset + 3];
}

// Checks an IDX header (magic 0 0 0x08 rank, then rank big-endian u32 dimensions) and the data
// length; returns the dimensions.
std::vector<std::uint32_t> idx_dims(const Bytes& bytes, const std::filesystem::path& path,
                                    std::uint8_t expected_rank) {
    auto fail = [&](std::size_t offset, const std::string& problem) {
        throw std::runtime_error(path.string() + ": byte " + std::to_string(offset) + ": " +
                                 problem);
    };
    if (bytes.size() < 4)
        fail(bytes.size(), "truncated IDX header");
    if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
        fail(0, "not an IDX file of unsigned bytes (magic must be 00 00 08 rank)");
    if (bytes[3] != expected_rank)
        fail(3, "rank " + std::to_string(bytes[3]) + ", expected " + std::to_string(expected_rank));
    std::vector<std::uint32_t> dims;
    std::size_t elements = 1;
    for (std::size_t d = 0; d < expected_rank; ++d) {
        std::size_t offset = 4 + 4 * d;
        if (bytes.size() < offset + 4)
            fail(bytes.size(), "truncated IDX header (dimension " + std::to_string(d) + ")");
        dims.push_back(big_endian_u32(bytes, offset));
        // Checked before multiplying: a product that wraps around would pass the size check
        // below with dimensions that do not describe the file.
        if (dims.back() != 0 && elements > bytes.size() / dims.back())
            fail(offset, "dimensions promise more values than the file holds");
        elements *= dims.back();
    }
    std::size_t header = 4 + 4 * std::size_t{expected_rank};
    if (bytes.size() < header + elements)
        fail(bytes.size(), "truncated: the header promises " + std::to_string(elements) +
                               " values, the file ends after " +
                               std::to_string(bytes.size() - header));
    if (bytes.size() > header + elements)
        fail(header + elements, "trailing bytes after the last value");
    return dims;
}

// Keeps the first `count` samples (0: all) in place: no second copy of a large data set.
Dataset take_prefix(Dataset all, std::size_t count) {
    count = count == 0 ? all.size() : std::min(count, all.size());
    all.labels.resize(count);
    all.inputs.resize(count * static_cast<std::size_t>(all.features));
    all.labels.shrink_to_fit();
    all.inputs.shrink_to_fit();
    return all;
}

// The digits split never changes with a run's seeds: a constant seed and a constant fraction.
constexpr std::uint64_t kSplitSeed = 20261127;
constexpr double kTestFraction = 0.2;

} // namespace

std::filesystem::path digits_path() {
    return source_root() / "data" / "digits.csv.gz";
}

Dataset load_digits_csv(const std::filesystem::path& path, const std::string& expected_sha256) {
    if (!expected_sha256.empty()) {
        std::string actual = sha256_hex(read_file_bytes(path));
        if (actual != expected_sha256)
            throw std::runtime_error(path.string() + ": SHA-256 " + actual + " differs from the " +
                                     "expected " + expected_sha256 + " (damaged or replaced file)");
    }
    Bytes bytes = read_gzip_or_plain(path);
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    Dataset data;
    data.features = kDigitsFeatures;
    data.classes = kClasses;
    long line = 0;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view row = text.substr(start, end - start);
        ++line;
        if (!row.empty() && row.back() == '\r')
            row.remove_suffix(1);
        if (!row.empty())
            parse_digits_line(row, path, line, data);
        start = end + 1;
    }
    if (data.size() == 0)
        throw std::runtime_error(path.string() + ": no samples");
    return data;
}

Dataset load_idx(const std::filesystem::path& images, const std::filesystem::path& labels) {
    return decode_idx(read_gzip_or_plain(images), read_gzip_or_plain(labels), images.string(),
                      labels.string());
}

Dataset decode_idx(const Bytes& image_bytes, const Bytes& label_bytes, const std::string& images,
                   const std::string& labels) {
    auto image_dims = idx_dims(image_bytes, images, 3);
    auto label_dims = idx_dims(label_bytes, labels, 1);
    if (image_dims[0] != label_dims[0])
        throw std::runtime_error(labels + ": " + std::to_string(label_dims[0]) + " labels for " +
                                 std::to_string(image_dims[0]) + " images in " + images);
    Dataset data;
    // idx_dims bounded the product by the file size; an int still holds it for any file a
    // Dataset can hold in memory, but say so rather than wrap.
    std::size_t features = std::size_t{image_dims[1]} * image_dims[2];
    if (features > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::runtime_error(images + ": " + std::to_string(features) +
                                 " values per image is more than detlab can hold");
    data.features = static_cast<int>(features);
    data.classes = kClasses;
    constexpr std::size_t image_header = 16, label_header = 8;
    for (std::size_t i = 0; i < label_dims[0]; ++i) {
        std::uint8_t label = label_bytes[label_header + i];
        if (label >= kClasses)
            throw std::runtime_error(labels + ": byte " + std::to_string(label_header + i) +
                                     ": label " + std::to_string(label) + " is outside 0..9");
        data.labels.push_back(label);
    }
    data.inputs.reserve(image_bytes.size() - image_header);
    for (std::size_t i = image_header; i < image_bytes.size(); ++i)
        data.inputs.push_back(static_cast<float>(image_bytes[i]) / 255.0f);
    return data;
}

std::filesystem::path fashion_mnist_dir() {
    if (const char* dir = std::getenv("DETLAB_FASHION_MNIST"); dir && *dir)
        return dir;
    return "/usr/share/datasets/fashion-mnist";
}

Split stratified_split(const Dataset& all, double test_fraction, std::uint64_t split_seed) {
    std::vector<std::vector<std::size_t>> by_class(static_cast<std::size_t>(all.classes));
    for (std::size_t i = 0; i < all.size(); ++i)
        by_class.at(static_cast<std::size_t>(all.labels[i])).push_back(i);
    DeterministicRng rng(split_seed);
    std::vector<std::size_t> train_rows, test_rows;
    for (auto& rows : by_class) {
        deterministic_shuffle(rows, rng);
        auto test_count =
            static_cast<std::size_t>(static_cast<double>(rows.size()) * test_fraction + 0.5);
        test_rows.insert(test_rows.end(), rows.begin(),
                         rows.begin() + static_cast<long>(test_count));
        train_rows.insert(train_rows.end(), rows.begin() + static_cast<long>(test_count),
                          rows.end());
    }
    // Mixed once more so that a prefix (train_size, test_size) still holds every class.
    deterministic_shuffle(train_rows, rng);
    deterministic_shuffle(test_rows, rng);
    return {select_rows(all, train_rows), select_rows(all, test_rows), {}, {}};
}

Dataset select_rows(const Dataset& data, const std::vector<std::size_t>& rows) {
    Dataset part;
    part.features = data.features;
    part.classes = data.classes;
    auto width = static_cast<std::size_t>(data.features);
    part.inputs.reserve(rows.size() * width);
    for (std::size_t row : rows) {
        part.labels.push_back(data.labels.at(row));
        auto first = data.inputs.begin() + static_cast<std::ptrdiff_t>(row * width);
        part.inputs.insert(part.inputs.end(), first, first + static_cast<std::ptrdiff_t>(width));
    }
    return part;
}

std::vector<std::pair<std::string, std::filesystem::path>>
dataset_files(const nlohmann::json& config) {
    if (config.at("dataset") != "fashion-mnist")
        return {{"dataset/digits.csv.gz", digits_path()}};
    std::vector<std::pair<std::string, std::filesystem::path>> files;
    for (const auto& file : fashion_mnist_files())
        files.emplace_back("dataset/fashion-mnist/" + file.filename().string(), file);
    return files;
}

Split load_split(const nlohmann::json& config) {
    auto train_size = config.at("train_size").get<std::size_t>();
    auto test_size = config.at("test_size").get<std::size_t>();
    Split split;
    if (config.at("dataset") == "fashion-mnist") {
        // Fashion-MNIST comes with its own fixed train/test split.
        auto files = dataset_files(config);
        split.train = load_idx(files[0].second, files[1].second);
        split.test = load_idx(files[2].second, files[3].second);
        std::string hashes;
        for (const auto& [name, file] : files)
            hashes += file_sha256(file);
        split.sha256 = sha256_hex(Bytes(hashes.begin(), hashes.end()));
    } else {
        split = stratified_split(load_digits_csv(digits_path(), kDigitsSha256), kTestFraction,
                                 kSplitSeed);
        split.sha256 = kDigitsSha256;
    }
    split.name = config.at("dataset").get<std::string>();
    split.train = take_prefix(std::move(split.train), train_size);
    split.test = take_prefix(std::move(split.test), test_size);
    return split;
}

std::vector<std::filesystem::path> fashion_mnist_files() {
    auto dir = fashion_mnist_dir();
    std::vector<std::filesystem::path> files;
    for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
        auto plain = dir / name, packed = dir / (std::string(name) + ".gz");
        if (std::filesystem::exists(plain))
            files.push_back(plain);
        else if (std::filesystem::exists(packed))
            files.push_back(packed);
        else
            throw std::runtime_error(
                "Fashion-MNIST file " + plain.string() +
                "[.gz] not found: install Debian's dataset-fashion-mnist package or set "
                "DETLAB_FASHION_MNIST to a directory holding the IDX files");
    }
    return files;
}

std::shared_ptr<const Split> shared_split(const nlohmann::json& config) {
    // One copy per process of each split in use: the workers of a sweep share it, and the
    // latest one stays loaded for the next run. Loading holds the lock, so workers that need
    // the same data wait for one load instead of each reading its own copy.
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const Split>> cache;
    std::string key = config.at("dataset").get<std::string>() + "|" +
                      config.at("train_size").dump() + "|" + config.at("test_size").dump() + "|" +
                      (config.at("dataset") == "fashion-mnist" ? fashion_mnist_dir().string() : "");
    std::lock_guard lock(mutex);
    if (auto found = cache.find(key); found != cache.end())
        return found->second;
    std::erase_if(cache, [](const auto& entry) { return entry.second.use_count() == 1; });
    auto split = std::make_shared<const Split>(load_split(config));
    cache.emplace(key, split);
    return split;
}

} // namespace detlab::train
