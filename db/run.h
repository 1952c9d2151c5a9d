// What one observation is, as it is written (RunResult) and as it is read back (RunRow), and
// the identities that name it: the planned slot, the fresh observation id, the configuration.
// Part of the db module's public header (db/store.h).
#pragma once

#include "db/names.h"
#include "harness/util/util.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace detlab::db {

struct Metric {
    std::string key;
    double value = 0;
    std::int64_t step = 0;
};

struct Artifact {
    std::string name; // e.g. "bitstream.bin", "weights.bin", "yosys.log"
    Bytes bytes;
};

// Everything one run produced. A run is written in a single transaction by Store::record_run,
// so a run is either wholly present or absent: a killed sweep never leaves half a run behind.
struct RunResult {
    std::string id;         // the observation's own id: new_observation_id()
    std::string config_id;  // configuration_id(...); empty: from kind and config_json alone
    std::string experiment; // experiment name ("" for ad-hoc CLI runs: stored as "adhoc")
    std::string kind;       // one of run_kinds()
    std::string config_json;
    int repeat = 0;
    std::string status = kStatusDone;
    std::string message;   // the tool's own error text for failed/timeout runs
    double started_at = 0; // unix seconds
    double wall_seconds = 0;
    std::string host;
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<Metric> metrics;
    std::vector<Artifact> artifacts;
    std::map<std::string, std::string> provenance;

    void add_param(std::string key, std::string value);
    void add_metric(std::string key, double value, std::int64_t step = 0);
    void add_artifact(std::string name, Bytes bytes);
    void add_artifact(std::string name, std::string_view text);
    // The artifact or the last-step metric of that name; null / nullopt when the run has none.
    const Artifact* find_artifact(std::string_view name) const;
    std::optional<double> metric(std::string_view key) const;
};

// A planned run's slot: the first 16 hex digits of SHA-256 over kind, canonical config and
// repeat index. The same on every machine, so shards split an experiment without coordination.
std::string run_id(const std::string& kind, const std::string& canonical_config_json, int repeat);

// A fresh observation id (16 hex digits from the system's entropy source, not a seed): every
// execution of a configuration is stored as its own observation and never replaces another.
std::string new_observation_id();

// What a configuration's output depends on beyond its keys: input name -> SHA-256 of its bytes
// (e.g. "rtl/systolic_array.v", "pcf/hx1k.pcf", "dataset/digits.csv.gz").
using InputDigests = std::vector<std::pair<std::string, std::string>>;

// A configuration's identity: "c" + 16 hex digits of SHA-256 over kind, the identity JSON
// (identity_config: keys added later are left out at their default) and the input digests.
// Change a key or one byte of an input and the configuration is a new one.
std::string configuration_id(const std::string& kind, const std::string& identity_json,
                             const InputDigests& inputs = {});

// The provenance key naming the store an observation was recorded in (Store::store_id), set by
// merge_from on what it imports; an observation without it belongs to the store it is in.
inline constexpr const char* kStoreIdProvenance = "store.id";

// Prefix of the provenance keys that record a run's input digests.
inline constexpr const char* kInputProvenancePrefix = "input:";

// A stored observation's row as read back (Store::run, Store::runs).
struct RunRow {
    std::string id, config_id, experiment, kind, config_json, status, message, host;
    int repeat = 0;
    double started_at = 0, wall_seconds = 0;
};

// Which stored observations Store::runs and export_runs return; an unset field matches all.
struct RunFilter {
    std::optional<std::string> experiment, kind, status;
    std::optional<std::int64_t> limit; // at most this many runs (oldest first)
};

} // namespace detlab::db
