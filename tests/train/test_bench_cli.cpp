// `detlab bench train`'s CNN row through the real executable: the built-in CNN beside the same
// CNN in PyTorch (bench/pytorch_cnn.py, /usr/bin/python3 with python3-torch), both run by the
// one invocation. The figures are timings: only that they exist and that the ratio printed is
// the quotient of the two times printed are checked, never a speed.
#include "harness/process/process.h"
#include "harness/train/train.h"
#include "tests/skip.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace detlab;

namespace {

// A tiny benchmark: digits' MLP on 64 samples with the tiled baseline alone, then the CNN on
// 256 + 128 Fashion-MNIST images on the float backend.
process::Result bench_train(std::vector<std::string> extra) {
    try {
        train::fashion_mnist_files();
    } catch (const std::runtime_error&) {
        detlab_skip(
            "Fashion-MNIST is not installed (scripts/setup installs dataset-fashion-mnist)");
    }
    process::Spec spec;
    spec.argv = {DETLAB_BINARY, "bench",
                 "train",       "--backends",
                 "tiled",       "--datasets",
                 "digits",      "--epochs",
                 "1",           "--train-size",
                 "64",          "--hidden",
                 "8",           "--array",
                 "2",           "--gemm-seconds",
                 "0.001",       "--fashion-train-size",
                 "256",         "--fashion-test-size",
                 "128",         "--cnn-backends",
                 "float"};
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.timeout = std::chrono::seconds(600); // a hang net: PyTorch's import alone takes seconds
    return process::run(spec);
}

} // namespace

TEST_CASE("bench train sets the built-in CNN's epoch time against PyTorch's from the same run") {
    auto r = bench_train({"--json"});
    INFO(r.out << r.err);
    REQUIRE(r.ok());
    auto out = nlohmann::json::parse(r.out);
    const auto& cnn = out.at("cnn");
    const auto& torch = cnn.at("pytorch");
    REQUIRE(
        torch.contains("epoch_s")); // python3-torch is a test dependency (scripts/setup --tests)
    CHECK(torch.at("framework").get<std::string>().rfind("PyTorch ", 0) == 0);
    double torch_s = torch.at("epoch_s").get<double>();
    CHECK(torch_s > 0);
    REQUIRE(cnn.at("rows").size() == 1);
    const auto& row = cnn.at("rows")[0];
    CHECK(row.at("backend") == "float");
    double detlab_s = row.at("epoch_s").get<double>();
    CHECK(detlab_s > 0);
    CHECK(row.at("epoch_time_ratio_vs_pytorch").get<double>() ==
          Approx(detlab_s / torch_s).epsilon(1e-12));
}

TEST_CASE("bench train prints the CNN row's table, and no ratio without PyTorch") {
    auto r = bench_train({});
    INFO(r.out << r.err);
    REQUIRE(r.ok());
    CHECK(r.out.find("CNN on fashion-mnist (conv 8, conv 16, dense 8, batch 32; 1 epoch(s), 256 "
                     "train + 128 test samples") != std::string::npos);
    CHECK(r.out.find("\nPyTorch 1.") != std::string::npos);
    CHECK(r.out.find("\ndetlab float ") != std::string::npos);

    // An interpreter that does not exist: PyTorch's row says why, the built-in row has no ratio.
    r = bench_train({"--pytorch", "/nonexistent/python3"});
    INFO(r.out << r.err);
    REQUIRE(r.ok());
    auto torch_at = r.out.find("\nPyTorch ");
    REQUIRE(torch_at != std::string::npos);
    CHECK(r.out.substr(torch_at, r.out.find('\n', torch_at + 1) - torch_at)
              .find("not measured: /nonexistent/python3") != std::string::npos);
    auto at = r.out.find("\ndetlab float ");
    REQUIRE(at != std::string::npos);
    auto line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    CHECK(line.find(" - ") != std::string::npos);
    CHECK(line.find('x') == std::string::npos);
}
