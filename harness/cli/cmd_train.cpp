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
    std::map<std::string, std::string> values; // config key -> option text, only when given
    int repeat = -1;                           // -1: the next free index
    std::string experiment;
    bool verbose = false;
};

std::string option_name(const std::string& key) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    return "--" + name;
}

std::string value_type_name(const KeySpec& spec) {
    switch (spec.type) {
    case KeySpec::Type::integer:
        return "INT";
    case KeySpec::Type::real:
        return "NUMBER";
    case KeySpec::Type::boolean:
        return "BOOL";
    case KeySpec::Type::string:
        break;
    }
    std::string choices;
    for (const auto& choice : spec.choices)
        choices += (choices.empty() ? "" : "|") + choice;
    return choices.empty() ? "TEXT" : choices;
}

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
    nlohmann::json partial = nlohmann::json::object();
    for (const auto& spec : train::config_keys())
        if (auto found = options.values.find(spec.name); found != options.values.end())
            partial[spec.name] = parse_key_value(spec, found->second, option_name(spec.name));
    // Bad options fail here, before the database is opened or created.
    auto config = complete_config(train::config_keys(), partial, "command line");
    auto config_id = train::configuration_id(config); // a missing data set fails here too
    int repeat =
        announce_observation(global.db_path, options.experiment, config_id, options.repeat);
    db::Store store(global.db_path);
    db::RunContext context;
    context.store = &store;
    context.experiment = options.experiment;
    train::EpochReport last;
    auto result =
        train::run_training(config, repeat, context, [&](const train::EpochReport& report) {
            last = report;
            if (options.verbose)
                print_epoch(report);
        });
    store.record_run(result);
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
    for (const auto& spec : train::config_keys()) {
        std::string default_text = spec.default_value.is_string()
                                       ? spec.default_value.get<std::string>()
                                       : spec.default_value.dump();
        command
            ->add_option_function<std::string>(
                option_name(spec.name),
                [options, key = spec.name](const std::string& text) {
                    options->values[key] = text;
                },
                spec.doc + " [default: " + default_text + "]")
            ->type_name(value_type_name(spec));
    }
    command
        ->add_option("--repeat", options->repeat,
                     "repeat index to file the observation under (default: the next free one of "
                     "this configuration)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--experiment", options->experiment,
                        "experiment name to file the run under (default: adhoc)");
    command->add_flag("-v,--verbose", options->verbose, "print every epoch's line");
    add_db_option(*command, global);
    command->callback([options, &global] { run_train_command(*options, global); });
});

} // namespace
} // namespace detlab::cli
