#include "harness/sweep/outcome.h"

#include <array>
#include <cstdio>
#include <string_view>

namespace detlab::sweep {
namespace {

std::string mebibytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return text;
}

std::string low_space(const std::string& what, const std::filesystem::path& path) {
    auto free = db::free_bytes(path);
    if (!free || *free >= db::kMinFreeBytes)
        return {};
    return "the " + what + "'s disk has " + mebibytes(*free) + " free, less than the " +
           mebibytes(db::kMinFreeBytes) + " a run needs (" + terminal_safe(path.string()) + ")";
}

// What the C library, SQLite and the tools say when the machine ran out of room or time.
constexpr std::array<std::string_view, 5> kMachineWords = {
    "No space left on device", "database or disk is full", "Disk quota exceeded",
    "database is locked", "the disk is full"};

} // namespace

std::string no_room_to_run(const std::filesystem::path& db_path,
                           const std::filesystem::path& work_dir) {
    if (auto reason = low_space("store", db_path); !reason.empty())
        return reason;
    return low_space("work directory", work_dir);
}

std::string machine_failure(const db::RunResult& result, const std::filesystem::path& db_path,
                            const std::filesystem::path& work_dir) {
    if (result.status == db::kStatusDone)
        return {};
    for (auto words : kMachineWords)
        if (result.message.find(words) != std::string::npos)
            return "the machine, not the configuration: " +
                   terminal_safe(result.message.substr(0, result.message.find('\n')), 300);
    return no_room_to_run(db_path, work_dir);
}

} // namespace detlab::sweep
