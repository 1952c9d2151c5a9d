// A training run's configuration identity: its keys and the bytes of its data set.
#include "harness/train/train.h"

namespace detlab::train {

db::InputDigests input_digests(const nlohmann::json& config) {
    std::vector<std::pair<std::string, std::filesystem::path>> files;
    try {
        files = dataset_files(config);
    } catch (const std::runtime_error& missing) {
        throw InputError(std::string("dataset: ") + missing.what());
    }
    db::InputDigests digests;
    for (const auto& [name, path] : files)
        digests.emplace_back(name, file_sha256(path));
    return digests;
}

std::string configuration_id(const nlohmann::json& config) {
    nlohmann::json completed = complete_config(config_keys(), config, "train config");
    return db::configuration_id(db::kKindTrain, identity_config(config_keys(), completed).dump(),
                                input_digests(completed));
}

} // namespace detlab::train
