// The `detlab` command line. Each cmd_*.cpp file adds its subcommands through a static
// Registration, so a new command is one new file and main.cpp never changes.
// The command layer parses and prints; the work happens in the modules it calls.
#pragma once

#include "db/store.h"
#include "harness/config_keys/config_keys.h"
#include "harness/observation/observation.h"
#include "harness/util/util.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace detlab::cli {

// Thrown by a command that prints a long listing once standard output cannot take more (its
// reader went away: `detlab run --list big.toml | head`): main ends the command quietly.
struct OutputClosed {};

// Options every subcommand may share.
struct GlobalOptions {
    std::string db_path = "detlab.db";
};

using Registrar = std::function<void(CLI::App& app, GlobalOptions& global)>;

// `order` sorts commands in --help (lower first).
struct Registration {
    Registration(int order, Registrar registrar);
};

// Adds the standard --db option to a subcommand.
void add_db_option(CLI::App& command, GlobalOptions& global);

// The database of --db for a command that reads it: one that does not exist is an InputError
// (exit 2), never a new empty file left behind by a typo.
db::Store open_existing_store(const GlobalOptions& global);

// ---- An ad hoc observation (`detlab synth`, `detlab train`) ----
// Begun only once its input is known to be good: `check` runs every check the command's input
// needs (keys, data set, RTL, what the tools offer, other options) and returns the
// configuration id; only after it returns is the store opened (created when new). So bad input
// exits 2 with nothing written, not even an empty database.
struct AdHocObservation {
    std::unique_ptr<db::Store> store;
    observation::Context context; // store and experiment set; the command adds the rest
    std::string config_id;
    // `requested` when given (>= 0), else the next free index of the configuration in the
    // experiment ("adhoc" when none is named) as the run starts.
    int repeat = 0;
    bool next_free_repeat = false; // no --repeat: record() files it under the next free index
};
// Prints one line saying how many observations of the configuration the store already holds,
// so a user sees that this run adds one and replaces none.
AdHocObservation begin_ad_hoc_observation(const GlobalOptions& global,
                                          const std::string& experiment, int requested_repeat,
                                          const std::function<std::string()>& check);
// Stores the run. Without --repeat its repeat index is chosen when it is stored, in the store's
// write transaction, so concurrent `detlab train` (or `synth`) of one configuration get distinct
// indices (issue 28); a line says so when another process took the one announced at the start.
void record_ad_hoc_observation(AdHocObservation& begun, db::RunResult& result);

// ---- Options from a domain's key table (key_options.cpp) ----
// "--array" for "array", "--parallel-refine" for "parallel_refine".
std::string option_name(const std::string& key);
// config key -> option text, only for the options given.
using KeyValues = std::map<std::string, std::string>;
// One option per key, its help text holding the key's doc, allowed values and default
// (KeySpec::allowed_text); given values land in `values`, which must outlive parsing.
void add_key_options(CLI::App& command, const std::vector<KeySpec>& keys, KeyValues& values);
// --repeat and --experiment of an ad hoc observation (`detlab synth`, `detlab train`).
void add_observation_options(CLI::App& command, int& repeat, std::string& experiment);
// The given values parsed into the JSON each key expects (InputError naming the option).
nlohmann::json partial_config(const std::vector<KeySpec>& keys, const KeyValues& values);

// The shared `detlab bench` group: each benchmark file adds its own subcommand to it.
CLI::App& bench_group(CLI::App& app);

} // namespace detlab::cli
