// `detlab train`: one training run from command-line options, recorded in the results store.
#include "db/store.h"
#include "harness/cli/cli.h"
#include "harness/train/train.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

namespace detlab::cli {
namespace {

struct TrainOptions {
    KeyValues values; // config key -> option text, only when given
    int repeat = -1;  // -1: the next free index
    std::string experiment;
    bool verbose = false;
};

std::string percent(double fraction) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", 100 * fraction);
    return text;
}

void print_epoch(const train::EpochReport& report) {
    std::printf("epoch %d/%d  train_loss %.4f  train_acc %s  test_loss %.4f  test_acc %s  "
                "(%.3f s)\n",
                report.epoch, report.epochs, report.train_loss,
                percent(report.train_accuracy).c_str(), report.test_loss,
                percent(report.test_accuracy).c_str(), report.wall_s);
}

void run_train_command(const TrainOptions& options, const GlobalOptions& global) {
    nlohmann::json config;
    auto begun = begin_ad_hoc_observation(global, options.experiment, options.repeat, [&] {
        nlohmann::json partial = partial_config(train::config_keys(), options.values);
        config = complete_config(train::config_keys(), partial, "command line");
        train::validate_config(config);         // a bit flip beyond the weights, ...
        return train::configuration_id(config); // a missing data set
    });
    train::EpochReport last;
    auto result = train::run_training(config, begun.repeat, begun.context,
                                      [&](const train::EpochReport& report) {
                                          last = report;
                                          if (options.verbose)
                                              print_epoch(report);
                                      });
    record_ad_hoc_observation(begun, result);
    if (result.status != db::kStatusDone) {
        std::cerr << "detlab: training failed: " << result.message << "\n";
        std::printf("run %s  status %s  stored in %s\n", result.id.c_str(), result.status.c_str(),
                    global.db_path.c_str());
        throw CLI::RuntimeError(1);
    }
    if (!options.verbose)
        print_epoch(last);
    std::printf("run %s  status %s  wall %.2f s  stored in %s\n", result.id.c_str(),
                result.status.c_str(), result.wall_seconds, global.db_path.c_str());
    for (const auto& artifact : result.artifacts)
        std::printf("%-16s sha256 %s\n", artifact.name.c_str(), sha256_hex(artifact.bytes).c_str());
}

const Registration registration(40, [](CLI::App& app, GlobalOptions& global) {
    auto options = std::make_shared<TrainOptions>();
    auto* command = app.add_subcommand(
        "train", "train the MLP with every matrix product on a chosen backend and record the run");
    add_key_options(*command, train::config_keys(), options->values);
    add_observation_options(*command, options->repeat, options->experiment);
    command->add_flag("-v,--verbose", options->verbose, "print every epoch's line");
    add_db_option(*command, global);
    command->callback([options, &global] { run_train_command(*options, global); });
});

} // namespace
} // namespace detlab::cli
