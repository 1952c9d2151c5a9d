// Prepares the RTL for one build: the files of sources.txt, edited and ordered as the
// configuration says. The build writes them into its own src/ directory.
#include "harness/toolchain/internal.h"

#include <sstream>

namespace detlab::toolchain::detail {
namespace {

std::vector<std::string> read_source_list(const std::filesystem::path& list_path) {
    if (!std::filesystem::exists(list_path))
        throw InputError(input_error_message(list_path.string(), 0, "rtl_dir",
                                             "no sources.txt (one RTL file per line)"));
    std::istringstream lines(read_file_text(list_path));
    std::vector<std::string> names;
    std::string line;
    while (std::getline(lines, line)) {
        auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        names.push_back(line.substr(first, line.find_last_not_of(" \t\r") + 1 - first));
    }
    return names;
}

// Fisher-Yates with SplitMix64: the same order on every platform, unlike std::shuffle.
template <class T>
void shuffle_stable(std::vector<T>& items, std::uint64_t seed) {
    std::uint64_t state = seed;
    auto next = [&state] {
        std::uint64_t z = splitmix64(state);
        state += 0x9e3779b97f4a7c15ULL; // the stream: seed + k * gamma
        return z;
    };
    for (std::size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1], items[next() % i]);
}

} // namespace

std::vector<std::string> source_list(const std::filesystem::path& rtl_dir) {
    return read_source_list(rtl_dir / "sources.txt");
}

std::vector<PreparedSource> prepare_sources(const Settings& settings) {
    auto list_path = settings.rtl_dir / "sources.txt";
    std::vector<PreparedSource> sources;
    for (const auto& name : source_list(settings.rtl_dir)) {
        auto path = settings.rtl_dir / name;
        if (!std::filesystem::exists(path))
            throw InputError(input_error_message(list_path.string(), 0, name, "file not found"));
        PreparedSource source{std::filesystem::path(name).filename().string(),
                              read_file_text(path)};
        for (const auto& other : sources)
            if (other.name == source.name)
                throw InputError(input_error_message(list_path.string(), 0, name,
                                                     "two sources share the file name"));
        if (settings.rtl_rename)
            source.text = rename_internal_signals(source.text);
        sources.push_back(std::move(source));
    }
    if (settings.rtl_dead_logic != "none") {
        bool placed = false;
        for (auto& source : sources) {
            auto edited =
                add_dead_logic(source.text, "detlab_top", settings.rtl_dead_logic == "kept");
            if (edited) {
                source.text = std::move(*edited);
                placed = true;
            }
        }
        if (!placed)
            throw InputError(input_error_message(list_path.string(), 0, "rtl_dead_logic",
                                                 "no module detlab_top in the sources"));
    }
    if (settings.file_order == "reversed")
        std::reverse(sources.begin(), sources.end());
    else if (settings.file_order == "shuffled")
        shuffle_stable(
            sources, derive_seed(static_cast<std::uint64_t>(settings.shuffle_seed), "file_order"));
    return sources;
}

} // namespace detlab::toolchain::detail
