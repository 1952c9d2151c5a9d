// An observation's record (RunResult) and the identities that name runs and configurations.
#include "db/run.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <unistd.h>

namespace detlab::db {

void RunResult::add_param(std::string key, std::string value) {
    params.emplace_back(std::move(key), std::move(value));
}
void RunResult::add_metric(std::string key, double value, std::int64_t step) {
    metrics.push_back({std::move(key), value, step});
}
void RunResult::add_artifact(std::string name, Bytes bytes) {
    artifacts.push_back({std::move(name), std::move(bytes)});
}
void RunResult::add_artifact(std::string name, std::string_view text) {
    artifacts.push_back({std::move(name), Bytes(text.begin(), text.end())});
}
const Artifact* RunResult::find_artifact(std::string_view name) const {
    for (const auto& artifact : artifacts)
        if (artifact.name == name)
            return &artifact;
    return nullptr;
}
std::optional<double> RunResult::metric(std::string_view key) const {
    const Metric* last = nullptr;
    for (const auto& m : metrics)
        if (m.key == key && (!last || m.step >= last->step))
            last = &m;
    return last ? std::optional<double>(last->value) : std::nullopt;
}

std::string run_id(const std::string& kind, const std::string& canonical_config_json, int repeat) {
    std::string text = kind + "\n" + canonical_config_json + "\n" + std::to_string(repeat);
    return sha256_hex(std::string_view(text)).substr(0, 16);
}

std::string new_observation_id() {
    static std::mutex mutex;
    static std::random_device entropy;
    static std::uint64_t counter = 0;
    // Appends one part at a time: GCC 12 warns falsely (-Wrestrict) about `":" + std::string`.
    std::vector<std::string> parts;
    {
        std::lock_guard lock(mutex);
        for (int i = 0; i < 4; ++i)
            parts.push_back(std::to_string(entropy()));
        parts.push_back(std::to_string(++counter));
    }
    parts.push_back(std::to_string(::getpid()));
    parts.push_back(std::to_string(monotonic_seconds()));
    parts.push_back(std::to_string(unix_time_now()));
    std::string material;
    for (const auto& part : parts) {
        material.append(part);
        material.push_back(':');
    }
    return sha256_hex(std::string_view(material)).substr(0, 16);
}

std::string configuration_id(const std::string& kind, const std::string& identity_json,
                             const InputDigests& inputs) {
    std::string text = "detlab configuration v1\n";
    for (const std::string* part : {&kind, &identity_json}) {
        text.append(*part);
        text.push_back('\n');
    }
    auto sorted = inputs;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [name, sha] : sorted) {
        text.append(name);
        text.push_back(' ');
        text.append(sha);
        text.push_back('\n');
    }
    std::string id = "c";
    id.append(sha256_hex(std::string_view(text)), 0, 16);
    return id;
}

} // namespace detlab::db
