// `detlab keys`: the experiment-file keys of every domain, from the domains' own key tables.
// `--format markdown` prints the section docs/experiments.md holds between its generated markers
// (scripts/gen-docs writes it there; tests/docs checks that the two agree).
#include "harness/cli/cli.h"
#include "harness/sweep/sweep.h"

#include <iostream>
#include <memory>

namespace detlab::cli {
namespace {

struct KeysCliOptions {
    std::string format = "text";
    std::string domain;
};

std::vector<sweep::Domain> chosen_domains(const std::string& name) {
    std::vector<sweep::Domain> chosen;
    std::vector<std::string> names;
    for (const auto& domain : sweep::builtin_domains()) {
        names.push_back(domain.kind);
        if (name.empty() || domain.kind == name)
            chosen.push_back(domain);
    }
    if (chosen.empty())
        throw InputError("--domain: unknown domain \"" + name + "\" (domains: " + join(names) +
                         ")");
    return chosen;
}

void run_keys(const KeysCliOptions& options) {
    auto domains = chosen_domains(options.domain);
    if (options.format == "markdown") {
        std::cout << sweep::key_reference_markdown(domains);
        return;
    }
    for (const auto& domain : domains)
        for (const auto& key : domain.keys)
            std::cout << domain.kind << "." << key.name << ": " << key.allowed_text()
                      << (key.factor ? "" : "; not a factor") << "\n    " << key.doc << "\n";
}

const Registration registration(23, [](CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<KeysCliOptions>();
    auto* cmd = app.add_subcommand(
        "keys", "list the configuration keys an experiment file's [toolchain] and [train] "
                "tables take (type, default, range, meaning)");
    cmd->add_option("--format", options->format,
                    "text (one key a line), or markdown (the tables of docs/experiments.md)")
        ->check(CLI::IsMember({"text", "markdown"}))
        ->capture_default_str();
    cmd->add_option("--domain", options->domain, "only this domain's keys (toolchain, train)");
    cmd->callback([options] { run_keys(*options); });
});

} // namespace
} // namespace detlab::cli
