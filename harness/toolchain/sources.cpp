// Prepares the RTL for one build: the files of sources.txt, edited and ordered as the
// configuration says. The build writes them into its own src/ directory.
#include "harness/toolchain/internal.h"

#include <sstream>

namespace detlab::toolchain::detail {
namespace {

constexpr std::string_view kKeepOrder = "detlab: keep-order";

std::vector<SourceEntry> read_source_list(const std::filesystem::path& list_path) {
    if (!std::filesystem::is_regular_file(list_path))
        throw InputError(input_error_message(list_path.string(), 0, "rtl_dir",
                                             "no sources.txt (one RTL file per line)"));
    std::istringstream lines(read_file_text(list_path));
    std::vector<SourceEntry> entries;
    std::string line;
    long number = 0;
    auto trim = [](std::string_view text) {
        auto first = text.find_first_not_of(" \t\r");
        if (first == std::string_view::npos)
            return std::string_view();
        return text.substr(first, text.find_last_not_of(" \t\r") + 1 - first);
    };
    while (std::getline(lines, line)) {
        ++number;
        std::string_view text(line);
        std::string_view comment;
        if (auto hash = text.find('#'); hash != std::string_view::npos) {
            comment = trim(text.substr(hash + 1));
            text = text.substr(0, hash);
        }
        std::string name(trim(text));
        if (name.empty())
            continue;
        if (auto problem = relative_path_problem(name); !problem.empty())
            throw InputError(input_error_message(list_path.string(), number, name, problem));
        bool pinned = comment == kKeepOrder;
        if (!pinned && comment.starts_with("detlab:"))
            throw InputError(input_error_message(list_path.string(), number, name,
                                                 "unknown directive '" + std::string(comment) +
                                                     "' (known: " + std::string(kKeepOrder) + ")"));
        entries.push_back({name, number, pinned});
    }
    return entries;
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

std::vector<SourceEntry> source_list(const std::filesystem::path& rtl_dir) {
    if (auto problem = outside_rtl_dir_problem(rtl_dir, "sources.txt"); !problem.empty())
        throw InputError(
            input_error_message((rtl_dir / "sources.txt").string(), 0, "rtl_dir", problem));
    auto entries = read_source_list(rtl_dir / "sources.txt");
    for (const auto& entry : entries)
        if (auto problem = outside_rtl_dir_problem(rtl_dir, entry.name); !problem.empty())
            throw InputError(input_error_message((rtl_dir / "sources.txt").string(), entry.line,
                                                 entry.name, problem));
    return entries;
}

// Reorders the files not marked keep-order among their own positions; marked files stay put.
template <class T>
void reorder_unpinned(std::vector<T>& items, const std::vector<SourceEntry>& entries,
                      const Settings& settings) {
    std::vector<std::size_t> free_positions;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (!entries[i].keep_order)
            free_positions.push_back(i);
    std::vector<T> movable;
    for (auto position : free_positions)
        movable.push_back(std::move(items[position]));
    if (settings.file_order == "reversed")
        std::reverse(movable.begin(), movable.end());
    else if (settings.file_order == "shuffled")
        shuffle_stable(
            movable, derive_seed(static_cast<std::uint64_t>(settings.shuffle_seed), "file_order"));
    for (std::size_t i = 0; i < free_positions.size(); ++i)
        items[free_positions[i]] = std::move(movable[i]);
}

std::vector<PreparedSource> prepare_sources(const Settings& settings) {
    auto list_path = settings.rtl_dir / "sources.txt";
    std::vector<PreparedSource> sources;
    auto entries = source_list(settings.rtl_dir);
    for (const auto& [name, line, keep_order] : entries) {
        auto path = settings.rtl_dir / name;
        if (!std::filesystem::is_regular_file(path))
            throw InputError(input_error_message(list_path.string(), line, name, "file not found"));
        // At its path relative to rtl_dir, so an `include relative to it finds its file.
        PreparedSource source{std::filesystem::path(name).lexically_normal().generic_string(),
                              read_file_text(path)};
        for (const auto& other : sources)
            if (other.name == source.name)
                throw InputError(
                    input_error_message(list_path.string(), line, name, "listed twice"));
        if (settings.rtl_rename)
            source.text = rename_internal_signals(source.text);
        sources.push_back(std::move(source));
    }
    if (settings.rtl_dead_logic != "none") {
        bool placed = false;
        for (auto& source : sources) {
            auto edited =
                add_dead_logic(source.text, settings.top, settings.rtl_dead_logic == "kept");
            if (edited) {
                source.text = std::move(*edited);
                placed = true;
            }
        }
        if (!placed)
            throw InputError(input_error_message(list_path.string(), 0, "rtl_dead_logic",
                                                 "no module " + settings.top + " in the sources"));
    }
    reorder_unpinned(sources, entries, settings);
    return sources;
}

} // namespace detlab::toolchain::detail
