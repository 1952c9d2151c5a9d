// One run of a user's training program: the configuration file, the process (argv, no shell,
// a time limit over its process group), its provenance and its outputs.
#include "harness/invariant/invariant.h"
#include "harness/process/process.h"
#include "harness/program/internal.h"

#include <sstream>

namespace detlab::program {
namespace {

constexpr std::size_t kErrorLines = 20;
constexpr std::size_t kMaxLogBytes = 1 << 20;

std::uint64_t seed_or_derived(const nlohmann::json& config, const char* key, const char* stream) {
    auto seed = config.at(key).get<std::uint64_t>();
    if (seed != 0)
        return seed;
    auto derived = derive_seed(config.at("root_seed").get<std::uint64_t>(), stream) &
                   ((std::uint64_t{1} << 53) - 1);
    return derived != 0 ? derived : 1;
}

// The last lines of what the program printed on stderr (else stdout): its own error message.
std::string last_lines(const process::Result& result) {
    const std::string& text = result.err.empty() ? result.out : result.err;
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        // The text reaches terminals and reports: no escape sequences.
        for (char& c : line)
            if ((c >= 0 && c < ' ' && c != '\t') || c == 127)
                c = '?';
        if (!line.empty())
            lines.push_back(line);
    }
    std::string tail;
    for (std::size_t i = lines.size() > kErrorLines ? lines.size() - kErrorLines : 0;
         i < lines.size(); ++i)
        tail += "\n" + lines[i];
    return tail;
}

// What the program reads from $DETLAB_CONFIG (docs/own-training.md, "What detlab passes").
nlohmann::json program_config(const nlohmann::json& config, const std::filesystem::path& out) {
    nlohmann::json passed;
    passed["contract"] = kContractVersion;
    for (const char* key : {"model", "dataset", "width", "epochs", "batch_size", "learning_rate",
                            "train_size", "test_size", "classes", "threads", "deterministic",
                            "bit_flip", "weight_step", "data_dir"})
        passed[key] = config.at(key);
    passed["init_seed"] = seed_or_derived(config, "init_seed", "init");
    passed["shuffle_seed"] = seed_or_derived(config, "shuffle_seed", "shuffle");
    passed["output_dir"] = out.string();
    return passed;
}

} // namespace

db::RunResult run_program(const nlohmann::json& partial, int repeat,
                          const observation::Context& context) {
    auto config = detail::completed(partial);
    validate_config(config);
    db::RunResult run = observation::start_configured_record(db::RunKind::train, context.experiment,
                                                             config, configuration_id(config),
                                                             repeat, input_digests(config));

    auto dir = context.work_root / "program";
    auto out = dir / "out";
    std::filesystem::create_directories(out / "weights");
    auto root = detail::framework_root(config);
    auto passed = program_config(config, std::filesystem::absolute(out));
    if (auto data = config.at("data_dir").get<std::string>(); !data.empty())
        passed["data_dir"] = detail::folder_inside(root, "data_dir", data).string();
    write_file(dir / "config.json", passed.dump(2));
    for (const char* seed : {"init_seed", "shuffle_seed"})
        run.provenance[std::string("program.") + seed] = passed[seed].dump();

    process::Spec spec;
    // Inside a root the interpreter is the root's own file of that absolute path.
    auto interpreter = root.empty()
                           ? detail::interpreter_path(config)
                           : std::filesystem::path(config.at("interpreter").get<std::string>());
    std::vector<std::string> program_argv;
    if (!interpreter.empty())
        program_argv.push_back(interpreter.string());
    program_argv.push_back(
        (detail::folder_inside(root, "program_dir", config.at("program_dir").get<std::string>()) /
         config.at("entry").get<std::string>())
            .string());
    spec.argv = detail::rooted_command(root, config, dir, program_argv);
    spec.cwd = dir;
    run.provenance["program.tools"] = config.at("tools").get<std::string>();
    run.provenance["program.tools_root"] = root.empty() ? "system" : root.string();
    auto threads = std::to_string(config.at("threads").get<int>());
    spec.set_env = {{kConfigVariable, std::filesystem::absolute(dir / "config.json").string()},
                    {"OMP_NUM_THREADS", threads},
                    {"MKL_NUM_THREADS", threads},
                    {"OPENBLAS_NUM_THREADS", threads},
                    {"PYTHONHASHSEED", "0"},
                    {"PYTHONDONTWRITEBYTECODE", "1"}}; // no __pycache__ in the hashed folder
    if (config.at("deterministic").get<bool>())
        spec.set_env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8";
    spec.timeout = std::chrono::seconds(config.at("time_limit_s").get<int>());
    spec.cancel = context.cancel;
    if (!interpreter.empty())
        run.provenance["program.interpreter_version"] = process::probe_version(
            detail::rooted_command(root, config, {}, {interpreter.string(), "--version"}),
            std::chrono::seconds(20));
    nlohmann::json argv = spec.argv, environment = spec.set_env;
    run.provenance["program.argv"] = argv.dump();
    run.provenance["program.environment"] = environment.dump();

    context.enter_stage("program");
    run.started_at = unix_time_now();
    double start = monotonic_seconds();
    auto result = process::run(spec);
    run.wall_seconds = monotonic_seconds() - start;
    std::string log = result.out + result.err;
    if (log.size() > kMaxLogBytes)
        log = log.substr(log.size() - kMaxLogBytes);
    run.add_artifact("program.log", std::string_view(log));
    run.add_metric("cpu_s", result.user_seconds + result.system_seconds);
    run.add_metric("max_rss_mib", double(result.max_rss_kib) / 1024.0);
    if (!result.ok()) {
        run.status = result.outcome == process::Result::Outcome::timed_out ? db::kStatusTimeout
                                                                           : db::kStatusFailed;
        run.message = "program " + result.describe() + last_lines(result);
        return run;
    }
    try {
        detail::read_outputs(out, config, run);
        run.add_metric("wall_s", run.wall_seconds);
        run.status = db::kStatusDone;
    } catch (const InternalError&) {
        throw; // a bug in detlab is not a run's result
    } catch (const std::exception& error) {
        run.status = db::kStatusFailed;
        run.message = std::string("outputs: ") + error.what() + last_lines(result);
        run.metrics.clear();
        std::erase_if(run.artifacts,
                      [](const auto& artifact) { return artifact.name != "program.log"; });
    }
    return run;
}

} // namespace detlab::program
