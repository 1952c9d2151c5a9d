// What a program wrote into its output folder, read with bounded memory and checked against the
// contract, turned into the same metrics and artifacts as the built-in trainer's.
#include "harness/program/internal.h"
#include "harness/tensor_file/tensor_file.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace detlab::program {
namespace {

constexpr std::size_t kMaxWeightFiles = 4096;
constexpr std::uint64_t kMaxLogits = 20'000'000;
constexpr std::uintmax_t kMaxJsonBytes = 1 << 20;
constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxEnvironmentValue = 1000;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& problem) {
    throw std::runtime_error(file.string() + ": " + problem);
}

// Names that reach the store, the analysis's output and terminals: printable, no spaces.
bool safe_name(const std::string& name) {
    return !name.empty() && name.size() <= kMaxNameLength &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
           });
}

std::vector<std::uint32_t> tensor_shape(const NpyHeader& header,
                                        const std::filesystem::path& file) {
    std::vector<std::uint32_t> shape;
    for (auto dim : header.shape) {
        if (dim > std::numeric_limits<std::uint32_t>::max())
            fail(file, "a dimension above 2^32-1");
        shape.push_back(static_cast<std::uint32_t>(dim));
    }
    return shape;
}

// weights/<name>.npy, one float32 tensor a file, in file-name order.
std::vector<Tensor> read_weights(const std::filesystem::path& folder, std::uint64_t max_weights) {
    if (!std::filesystem::is_directory(folder))
        fail(folder, "missing (the program writes its weights here, one .npy a tensor)");
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        if (files.size() == kMaxWeightFiles)
            fail(folder, "more than " + std::to_string(kMaxWeightFiles) + " files");
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
        fail(folder, "no weights written");
    std::vector<Tensor> tensors;
    std::uint64_t left = max_weights;
    for (const auto& file : files) {
        auto name = file.stem().string();
        if (file.extension() != ".npy" || !std::filesystem::is_regular_file(file) ||
            !safe_name(name))
            fail(file, "not a weight file: expected <name>.npy with a name of letters, digits, "
                       "'_', '.', '-'");
        NpyHeader header;
        auto values = read_npy_float32(file, left, &header);
        left -= values.size();
        tensors.push_back({name, tensor_shape(header, file), std::move(values)});
    }
    return tensors;
}

nlohmann::json read_json(const std::filesystem::path& file, bool required) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) {
        if (required)
            fail(file, "missing");
        return nlohmann::json::object();
    }
    auto size = std::filesystem::file_size(file, error);
    if (error || size > kMaxJsonBytes)
        fail(file, "larger than " + std::to_string(kMaxJsonBytes) + " bytes");
    auto parsed = nlohmann::json::parse(read_file_text(file), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
        fail(file, "not a JSON object");
    return parsed;
}

// metrics.json: {"epochs": [{"epoch": 1, "train_loss": ..., "test_accuracy": ...}, ...]}.
void record_curve(const std::filesystem::path& file, int epochs, db::RunResult& run) {
    static const char* const kKeys[] = {"train_loss",    "train_accuracy", "test_loss",
                                        "test_accuracy", "learning_rate",  "wall_s"};
    auto metrics = read_json(file, true);
    if (!metrics.contains("epochs") || !metrics["epochs"].is_array() ||
        metrics["epochs"].size() != std::size_t(epochs))
        fail(file, "epochs: expected an array of " + std::to_string(epochs) + " objects");
    int expected = 1;
    for (const auto& entry : metrics["epochs"]) {
        if (!entry.is_object() || !entry.contains("epoch") || entry["epoch"] != expected)
            fail(file, "epochs[" + std::to_string(expected - 1) + "]: epoch must be " +
                           std::to_string(expected));
        for (const char* key : kKeys) {
            if (!entry.contains(key))
                continue;
            if (!entry[key].is_number() || !std::isfinite(entry[key].get<double>()))
                fail(file, "epochs[" + std::to_string(expected - 1) + "]." + key +
                               ": not a finite number");
            std::string name = std::string(key) == "wall_s" ? db::metric::kEpochWallS : key;
            run.add_metric(name, entry[key].get<double>(), expected);
        }
        ++expected;
    }
}

// environment.json: {"framework": "PyTorch 1.13.1", "threads": "1", ...}, strings only.
void record_environment(const std::filesystem::path& file, db::RunResult& run) {
    auto environment = read_json(file, false);
    for (const auto& [key, value] : environment.items()) {
        if (!safe_name(key) || !value.is_string() ||
            value.get<std::string>().size() > kMaxEnvironmentValue)
            fail(file, "\"" + (safe_name(key) ? key : std::string("?")) +
                           "\": expected a name of letters, digits, '_', '.', '-' and a string "
                           "of at most " +
                           std::to_string(kMaxEnvironmentValue) + " characters");
        auto text = value.get<std::string>();
        if (std::any_of(text.begin(), text.end(), [](char c) { return c < ' ' || c == 127; }))
            fail(file, key + ": control characters");
        run.provenance["program." + key] = text;
    }
    if (environment.contains("framework")) {
        run.add_param("framework", environment["framework"].get<std::string>());
        run.add_param("backend", environment["framework"].get<std::string>());
    }
}

} // namespace

namespace detail {
void read_outputs(const std::filesystem::path& out, const nlohmann::json& config,
                  db::RunResult& run) {
    auto classes = config.at("classes").get<std::uint64_t>();
    auto test_size = config.at("test_size").get<std::uint64_t>();
    auto weights = read_weights(out / "weights", config.at("max_weights").get<std::uint64_t>());

    NpyHeader logits_header, labels_header;
    auto logits = read_npy_float32(out / "logits.npy", kMaxLogits, &logits_header);
    if (logits_header.shape.size() != 2 || logits_header.shape[1] != classes ||
        logits_header.shape[0] == 0 || (test_size > 0 && logits_header.shape[0] != test_size))
        fail(out / "logits.npy", "shape must be (" +
                                     (test_size ? std::to_string(test_size) : std::string("N")) +
                                     ", " + std::to_string(classes) + ")");
    auto rows = logits_header.shape[0];
    auto labels = read_npy_integers(out / "labels.npy", rows, &labels_header);
    if (labels_header.shape.size() != 1 || labels_header.shape[0] != rows)
        fail(out / "labels.npy", "shape must be (" + std::to_string(rows) + ",), one a logit row");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || std::uint64_t(labels[i]) >= classes)
            fail(out / "labels.npy", "label " + std::to_string(labels[i]) + " at " +
                                         std::to_string(i) + " is outside 0.." +
                                         std::to_string(classes - 1));

    record_curve(out / "metrics.json", config.at("epochs").get<int>(), run);
    record_environment(out / "environment.json", run);

    // The final metrics come from the logits, the way the built-in trainer computes them.
    std::size_t correct = 0;
    double loss = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* row = logits.data() + r * classes;
        std::size_t best = std::size_t(std::max_element(row, row + classes) - row);
        correct += best == std::size_t(labels[r]);
        double top = row[best], sum = 0;
        for (std::size_t c = 0; c < classes; ++c)
            sum += std::exp(double(row[c]) - top);
        loss += top + std::log(sum) - double(row[labels[r]]);
    }
    run.add_metric(db::metric::kFinalTestAccuracy, double(correct) / double(rows));
    run.add_metric(db::metric::kFinalTestLoss, loss / double(rows));
    run.add_param("dataset_test_samples", std::to_string(rows));
    run.add_artifact(db::artifact::kWeights, encode_tensors(weights));
    std::vector<float> label_values(labels.begin(), labels.end());
    auto count = static_cast<std::uint32_t>(rows);
    run.add_artifact(
        db::artifact::kTestLogits,
        encode_tensors({{"logits", {count, static_cast<std::uint32_t>(classes)}, std::move(logits)},
                        {"labels", {count}, std::move(label_values)}}));
}
} // namespace detail

} // namespace detlab::program
