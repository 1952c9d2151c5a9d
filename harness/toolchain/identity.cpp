// A build's configuration identity: its keys and the bytes of every input file it reads.
#include "harness/toolchain/internal.h"

namespace detlab::toolchain {

namespace detail {
std::filesystem::path pin_file(const Settings& settings) {
    if (settings.family != Family::ice40) // issue 27: family
        return family_pin_file(settings);
    return settings.rtl_dir / "pcf" / (settings.device + ".pcf");
}
} // namespace detail

void validate_config(const nlohmann::json& config) {
    // The keys' own checks only: what a tool version offers is checked by check_design (the
    // preflight) and by the build, so parsing and identity spawn no process.
    detail::settings_from(config);
}

db::InputDigests input_digests(const nlohmann::json& config) {
    auto settings = detail::settings_from(config);
    auto list_path = settings.rtl_dir / "sources.txt";
    db::InputDigests digests;
    auto entries = detail::source_list(settings.rtl_dir);
    digests.emplace_back("sources.txt", file_sha256(list_path));
    for (const auto& [name, line, keep_order] : entries) {
        auto path = settings.rtl_dir / name;
        if (!std::filesystem::is_regular_file(path))
            throw InputError(input_error_message(list_path.string(), line, name, "file not found"));
        digests.emplace_back("rtl/" + name, file_sha256(path));
    }
    auto pcf = detail::pin_file(settings);
    if (!std::filesystem::is_regular_file(pcf))
        throw InputError(input_error_message(pcf.string(), 0, "device", "no pin file"));
    if (auto problem = detail::outside_rtl_dir_problem(
            settings.rtl_dir, pcf.lexically_relative(settings.rtl_dir).string());
        !problem.empty())
        throw InputError(input_error_message(pcf.string(), 0, "device", problem));
    // issue 27: family: the digest's name is the pin file's path under rtl_dir (pcf/hx1k.pcf,
    // lpf/cabga381.lpf, cst/gw1nr-9.cst); iCE40 keeps the name stored identities already carry.
    std::string pin_name =
        settings.family != detail::Family::ice40
            ? pcf.parent_path().filename().string() + "/" + pcf.filename().string()
            : "pcf/" + settings.device + ".pcf";
    digests.emplace_back(pin_name, file_sha256(pcf));
    // Every other file that reaches a tool; a design without them keeps its earlier id.
    auto design = detail::design_inputs(settings);
    for (const auto& include : design.includes)
        digests.emplace_back("include/" + include, file_sha256(settings.rtl_dir / include));
    for (const auto& data : design.data)
        digests.emplace_back("data/" + data, file_sha256(settings.rtl_dir / data));
    return digests;
}

std::string configuration_id(const nlohmann::json& config) {
    validate_config(config);
    nlohmann::json identity = identity_config(config_keys(), config);
    identity.erase("rtl_dir");
    return db::configuration_id(db::kKindToolchain, identity.dump(), input_digests(config));
}

} // namespace detlab::toolchain
