// The files of a design besides its sources: `include files (found the way yosys finds them)
// and data files read while the design is elaborated ($readmemh). Each is copied into the
// build at its path relative to rtl_dir, so the tools see the names the design's authors use,
// inside a tool root too, and each is hashed into the configuration's identity.
#include "harness/toolchain/internal.h"

#include <regex>
#include <set>

namespace detlab::toolchain::detail {
namespace {

// The build's own files and folders at its top level: a data file may not replace one.
const std::set<std::string> kBuildNames{
    "src",           "synth.ys",      "pins.pcf",           "netlist.json",
    "bitstream.asc", "bitstream.bin", "nextpnr-report.json"};

// Verilog text with comments blanked (newlines kept, so line numbers stay) and string
// literals kept, so directives and $readmem names are found only where the tools see them.
std::string without_comments(std::string_view text) {
    std::string out(text);
    enum { code, line_comment, block_comment, string } state = code;
    for (std::size_t i = 0; i < out.size(); ++i) {
        char c = out[i], next = i + 1 < out.size() ? out[i + 1] : '\0';
        switch (state) {
        case code:
            if (c == '/' && next == '/')
                state = line_comment;
            else if (c == '/' && next == '*')
                state = block_comment;
            else if (c == '"')
                state = string;
            break;
        case string:
            if (c == '\\')
                ++i;
            else if (c == '"' || c == '\n')
                state = code;
            continue;
        case line_comment:
            if (c == '\n')
                state = code;
            break;
        case block_comment:
            if (c == '*' && next == '/') {
                out[i] = out[i + 1] = ' ';
                ++i;
                state = code;
                continue;
            }
            break;
        }
        if ((state == line_comment || state == block_comment) && out[i] != '\n') {
            if (c == '/' && (next == '/' || next == '*') && i + 1 < out.size())
                out[i + 1] = ' ';
            out[i] = ' ';
        }
    }
    return out;
}

// (line, quoted text) of every match of `pattern`'s first group.
std::vector<std::pair<long, std::string>> find_quoted(const std::string& text,
                                                      const std::regex& pattern) {
    std::vector<std::pair<long, std::string>> found;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern);
         it != std::sregex_iterator(); ++it) {
        long line = 1 + std::count(text.begin(), text.begin() + it->position(), '\n');
        found.emplace_back(line, (*it)[1].str());
    }
    return found;
}

// `path` relative to rtl_dir when it stays inside it, else empty.
std::string inside(const std::filesystem::path& relative) {
    auto normal = relative.lexically_normal();
    if (normal.empty() || normal.is_absolute() || *normal.begin() == "..")
        return {};
    return normal.generic_string();
}

class IncludeResolver {
public:
    explicit IncludeResolver(const Settings& settings) : settings_(settings) {}

    // Follows the `include directives of `file` (relative to rtl_dir) and of what they include.
    void scan(const std::string& file) {
        static const std::regex include(R"(`include\s+"([^"]*)\")");
        auto text = without_comments(read_file_text(settings_.rtl_dir / file));
        for (const auto& [line, name] : find_quoted(text, include)) {
            auto found = resolve(file, name);
            if (!found) {
                inputs_.missing_includes.push_back({file, line, name, searched(file)});
                continue;
            }
            if (auto problem = outside_rtl_dir_problem(settings_.rtl_dir, *found); !problem.empty())
                throw InputError(input_error_message((settings_.rtl_dir / file).string(), line,
                                                     "`include \"" + name + "\"", problem));
            if (seen_.insert(*found).second) {
                inputs_.includes.push_back(*found);
                scan(*found);
            }
        }
    }

    DesignInputs take() { return std::move(inputs_); }

private:
    // Where yosys looks: the including file's own folder, then each -I folder in order.
    std::vector<std::filesystem::path> folders(const std::string& file) const {
        std::vector<std::filesystem::path> list{std::filesystem::path(file).parent_path()};
        for (const auto& dir : settings_.include_dirs)
            list.emplace_back(dir);
        return list;
    }

    std::string searched(const std::string& file) const {
        std::string text;
        for (const auto& folder : folders(file)) {
            auto name = folder.empty() ? std::string("./") : folder.generic_string() + "/";
            text += (text.empty() ? "" : ", ") + name;
        }
        return text;
    }

    std::optional<std::string> resolve(const std::string& file, const std::string& name) const {
        if (std::filesystem::path(name).is_absolute())
            return std::nullopt;
        for (const auto& folder : folders(file)) {
            auto relative = inside(folder / name);
            if (!relative.empty() && std::filesystem::is_regular_file(settings_.rtl_dir / relative))
                return relative;
        }
        return std::nullopt;
    }

    const Settings& settings_;
    DesignInputs inputs_;
    std::set<std::string> seen_;
};

} // namespace

std::string relative_path_problem(const std::string& name) {
    std::filesystem::path path(name);
    if (name.empty())
        return "an empty path";
    if (path.is_absolute())
        return "an absolute path: give it relative to rtl_dir";
    for (const auto& part : path)
        if (part == "..")
            return "leaves rtl_dir ('..'): keep the design's files inside rtl_dir";
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            std::string_view("_.+-/").find(c) == std::string_view::npos)
            return std::string("has the character '") + c +
                   "' (allowed: letters, digits and _ . + - /)";
    return {};
}

std::string outside_rtl_dir_problem(const std::filesystem::path& rtl_dir,
                                    const std::string& relative) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto root = fs::canonical(rtl_dir, ec);
    auto target = ec ? fs::path() : fs::canonical(rtl_dir / relative, ec);
    if (ec)
        return {}; // missing: reported as such where the file is needed
    auto within = [&root](const fs::path& path) {
        auto rest = path.lexically_relative(root);
        return !rest.empty() && *rest.begin() != "..";
    };
    if (within(target))
        return {};
    // Name the link that leads out: the file itself or a folder on its way.
    fs::path step = rtl_dir, link = relative;
    for (const auto& part : fs::path(relative)) {
        step /= part;
        auto resolved = fs::canonical(step, ec);
        if (!ec && fs::is_symlink(step, ec) && !within(resolved)) {
            link = step.lexically_relative(rtl_dir);
            break;
        }
    }
    // Appended piece by piece: GCC 12's -Wrestrict misreads `"'" + std::string`.
    std::string problem(1, '\'');
    problem.append(link.generic_string())
        .append("' is a symbolic link to ")
        .append(fs::read_symlink(rtl_dir / link, ec).string())
        .append(" (")
        .append(target.string())
        .append("), outside rtl_dir ")
        .append(root.string())
        .append(": detlab reads a design's files only inside rtl_dir; copy the file into it");
    return problem;
}

std::string build_name_problem(const std::string& name) {
    auto first = std::filesystem::path(name).lexically_normal().begin()->string();
    if (kBuildNames.contains(first))
        return "'" + first + "' is one of the build's own names (" +
               join(std::vector<std::string>(kBuildNames.begin(), kBuildNames.end())) +
               "): move the file into a folder of its own";
    return {};
}

std::vector<std::string> read_options(const Settings& settings, const std::string& prefix) {
    std::vector<std::string> options;
    for (const auto& [name, value] : settings.defines.items()) {
        std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        options.push_back("-D" + name + (text.empty() ? "" : "=" + text));
    }
    for (const auto& dir : settings.include_dirs)
        options.push_back("-I" + prefix + "src/" + inside(dir));
    return options;
}

DesignInputs design_inputs(const Settings& settings) {
    IncludeResolver resolver(settings);
    for (const auto& entry : source_list(settings.rtl_dir))
        if (std::filesystem::is_regular_file(settings.rtl_dir / entry.name))
            resolver.scan(entry.name);
    auto inputs = resolver.take();
    for (const auto& dir : settings.include_dirs)
        if (!std::filesystem::is_directory(settings.rtl_dir / dir))
            throw InputError(input_error_message("config", 0, "include_dirs",
                                                 "\"" + dir + "\" is not a folder in " +
                                                     settings.rtl_dir.string()));
    for (const auto& file : settings.data_files) {
        if (!std::filesystem::is_regular_file(settings.rtl_dir / file))
            throw InputError(input_error_message("config", 0, "data_files",
                                                 "\"" + file + "\" is not a file in " +
                                                     settings.rtl_dir.string()));
        if (auto problem = outside_rtl_dir_problem(settings.rtl_dir, file); !problem.empty())
            throw InputError(input_error_message("config", 0, "data_files", problem));
        inputs.data.push_back(inside(file));
    }
    // A $readmemh("name") with a literal name must read a declared file; a name held in a
    // parameter is found by the design check's yosys run instead.
    static const std::regex readmem(R"(\$readmem[hb]\s*\(\s*"([^"]*)\")");
    std::vector<std::string> files;
    for (const auto& entry : source_list(settings.rtl_dir))
        files.push_back(entry.name);
    files.insert(files.end(), inputs.includes.begin(), inputs.includes.end());
    for (const auto& file : files) {
        auto path = settings.rtl_dir / file;
        if (!std::filesystem::is_regular_file(path))
            continue; // a missing source is reported with its sources.txt line elsewhere
        for (const auto& [line, name] :
             find_quoted(without_comments(read_file_text(path)), readmem))
            if (std::find(inputs.data.begin(), inputs.data.end(), inside(name)) ==
                inputs.data.end())
                throw InputError(input_error_message(
                    path.string(), line, "data_files",
                    "reads \"" + name +
                        "\", which data_files does not list (list it, relative to rtl_dir)"));
    }
    return inputs;
}

void write_design_files(const Settings& settings, const DesignInputs& inputs,
                        const std::filesystem::path& build_dir) {
    for (const auto& include : inputs.includes) {
        std::filesystem::create_directories((build_dir / "src" / include).parent_path());
        write_file(build_dir / "src" / include, read_file_bytes(settings.rtl_dir / include));
    }
    for (const auto& data : inputs.data) {
        std::filesystem::create_directories((build_dir / data).parent_path());
        write_file(build_dir / data, read_file_bytes(settings.rtl_dir / data));
    }
}

std::string explain_tool_error(const std::string& text, const DesignInputs& inputs,
                               const Settings& settings) {
    for (const auto& missing : inputs.missing_includes)
        if (text.find("include file `" + missing.name + "'") != std::string::npos)
            return input_error_message((settings.rtl_dir / missing.file).string(), missing.line,
                                       "include_dirs",
                                       "`include \"" + missing.name + "\" is in none of " +
                                           missing.searched + " (yosys: " + text + ")");
    return {};
}

} // namespace detlab::toolchain::detail
