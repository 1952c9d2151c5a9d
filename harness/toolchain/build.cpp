// One FPGA build: prepare sources -> yosys -> nextpnr-ice40 -> icepack -> icetime (or, for an
// ECP5 device, synth_ecp5 -> nextpnr-ecp5 -> ecppack: family_ecp5.cpp), each stage recorded (argv,
// input hash, log, wall/CPU/peak memory), the first failing stage ending the run.
#include "harness/invariant/invariant.h"
#include "harness/toolchain/internal.h"

#include <cstdlib>
#include <optional>

namespace detlab::toolchain {
namespace {

using detail::Settings;

class Build {
public:
    Build(const nlohmann::json& config, int repeat, const observation::Context& context)
        : config_(config), settings_(detail::settings_from(config)), context_(context),
          run_(observation::start_record(db::RunKind::toolchain, context.experiment)) {
        run_.config_json = config.dump();
        run_.repeat = repeat;
        for (const auto& [key, value] : config.items())
            run_.add_param(key, observation::param_text(value));
    }

    db::RunResult run() {
        double start = monotonic_seconds();
        // A bad RTL directory is bad configuration (InputError), found before anything runs.
        auto sources = detail::prepare_sources(settings_);
        design_ = detail::design_inputs(settings_);
        auto pcf = detail::pin_file(settings_);
        run_.config_id = configuration_id(config_); // InputError when the pin file is missing
        run_.add_param("family", detail::family_name(settings_.family)); // issue 27: family
        run_.provenance = observation::capture_provenance(stage_limit());
        for (const auto& [key, value] : tool_provenance(settings_.tools, stage_limit()))
            run_.provenance[key] = value;
        detail::check_tool_options(settings_); // InputError: this version lacks an option
        for (const auto& [name, sha] : input_digests(config_))
            run_.provenance[db::kInputProvenancePrefix + name] = sha;
        make_directories();
        try {
            write_inputs(sources, pcf);
            bool ok = synthesize(sources) && place_and_route() && pack() && analyse_timing();
            if (ok)
                record_outputs();
        } catch (const InternalError&) {
            throw; // a bug in detlab is not a build's result
        } catch (const std::exception& e) {
            fail(db::kStatusFailed, "harness", std::string("harness error: ") + e.what());
        }
        run_.wall_seconds = monotonic_seconds() - start;
        run_.add_metric(db::metric::kToolsWallS, tools_wall_s_);
        run_.add_metric(db::metric::kTotalWallS, run_.wall_seconds);
        run_.add_metric(db::metric::kHarnessOverheadS, run_.wall_seconds - tools_wall_s_);
        cleanup();
        return std::move(run_);
    }

    // The cache key synthesize() will use, known before the build: its script and sources do
    // not depend on the run's directory unless the tools get absolute paths.
    std::string planned_synthesis_key(const std::string& yosys_version) {
        if (!settings_.reuse_synthesis || settings_.path_style == "absolute")
            return {};
        auto sources = detail::prepare_sources(settings_);
        design_ = detail::design_inputs(settings_);
        return synthesis_key(yosys_version, yosys_script(sources), sources);
    }

private:
    void make_directories() {
        if (context_.work_root.empty()) {
            // Signed and locked (TempDir), so a kill -9 leaves scratch the next detlab removes.
            run_dir_ = scratch_.emplace("detlab-build-" + run_.id).path();
            if (keep_build())
                scratch_->keep();
        } else {
            run_dir_ = std::filesystem::absolute(context_.work_root) / run_.id;
            std::filesystem::remove_all(run_dir_); // an interrupted earlier attempt
        }
        build_dir_ = run_dir_ / settings_.build_path;
        std::filesystem::create_directories(build_dir_ / "src");
        run_.provenance["build_dir"] = build_dir_.string();
    }

    static bool keep_build() {
        const char* keep = std::getenv("DETLAB_KEEP_BUILD");
        return keep && std::string(keep) == "1";
    }

    void cleanup() {
        std::error_code ignored;
        if (scratch_)
            scratch_.reset(); // removed unless kept
        else if (!keep_build())
            std::filesystem::remove_all(run_dir_, ignored);
    }

    std::chrono::milliseconds stage_limit() const {
        return std::chrono::milliseconds(static_cast<long>(settings_.stage_timeout_s * 1e3));
    }

    // File names as the tools see them: relative to the build directory, or absolute.
    std::string path(const std::string& name) const {
        return settings_.path_style == "absolute" ? (build_dir_ / name).string() : name;
    }

    void write_inputs(const std::vector<detail::PreparedSource>& sources,
                      const std::filesystem::path& pcf) {
        for (const auto& source : sources) {
            std::filesystem::create_directories((build_dir_ / "src" / source.name).parent_path());
            write_file(build_dir_ / "src" / source.name, source.text);
        }
        detail::write_design_files(settings_, design_, build_dir_);
        write_file(build_dir_ / pins_name(), read_file_bytes(pcf));
    }

    // issue 27: family: an ECP5 or Gowin build runs the flow of detail::family_flow.
    bool ice40() const { return settings_.family == detail::Family::ice40; }
    const detail::FamilyFlow& flow() const { return detail::family_flow(settings_.family); }
    const char* pins_name() const { return flow().pins; }
    const char* synth_pass() const { return flow().synth; }

    std::string inputs_hash(const std::vector<std::string>& names) const {
        std::string joined;
        for (const auto& name : names)
            joined += name + ":" + sha256_hex(read_file_bytes(build_dir_ / name)) + "\n";
        return sha256_hex(std::string_view(joined));
    }

    // What a stage does, for the sweep's progress line. nextpnr places and routes in one
    // process whose output is read when it ends, so the two are one stage here.
    static std::string stage_title(const std::string& stage) {
        if (stage == "yosys")
            return "yosys (synthesis)";
        if (stage == "nextpnr")
            return "nextpnr (place and route)";
        if (stage == "icepack")
            return "icepack (pack)";
        if (stage == "icetime")
            return "icetime (timing)";
        if (stage == "ecppack")
            return "ecppack (pack)";
        return stage;
    }

    // Runs one tool and records it; false when the run must stop here.
    bool run_stage(const std::string& stage, std::vector<std::string> argv,
                   const std::vector<std::string>& inputs) {
        if (context_.cancelled())
            return fail(db::kStatusFailed, stage, "cancelled before " + stage);
        context_.enter_stage(stage_title(stage));
        auto env = detail::environment_preset(settings_.environment);
        process::Spec spec;
        spec.argv = detail::tool_command(settings_.tools_root, build_dir_, std::move(argv));
        spec.cwd = build_dir_;
        spec.set_env = env.variables;
        spec.umask = env.umask;
        spec.disable_aslr = !settings_.aslr;
        spec.timeout = stage_limit();
        spec.cancel = context_.cancel;
        run_.provenance["argv." + stage] = nlohmann::json(spec.argv).dump();
        run_.provenance["inputs." + stage] = inputs_hash(inputs);
        auto result = process::run(spec);
        last_output_ = result.out + result.err;
        run_.add_artifact(stage + ".log", last_output_);
        run_.add_metric(db::metric::stage_wall_s(stage), result.wall_seconds);
        run_.add_metric(db::metric::stage_cpu_s(stage),
                        result.user_seconds + result.system_seconds);
        run_.add_metric(db::metric::stage_max_rss_kib(stage),
                        static_cast<double>(result.max_rss_kib));
        tools_wall_s_ += result.wall_seconds;
        if (result.ok())
            return true;
        return fail_stage(stage, result);
    }

    bool fail_stage(const std::string& stage, const process::Result& result) {
        if (result.outcome == process::Result::Outcome::spawn_failed)
            return fail(db::kStatusFailed, stage, stage + ": " + result.error);
        std::string tool_text = detail::tool_error_text(result.out, result.err);
        std::string head =
            result.cancelled ? stage + " cancelled" : stage + " " + result.describe();
        std::string status = result.outcome == process::Result::Outcome::timed_out
                                 ? db::kStatusTimeout
                                 : db::kStatusFailed;
        return fail(status, stage, head + (tool_text.empty() ? "" : ":\n" + tool_text));
    }

    bool fail(const std::string& status, const std::string& stage, const std::string& message) {
        run_.status = status;
        run_.message = message;
        run_.add_param("failed_stage", stage);
        return false;
    }

    std::string yosys_script(const std::vector<detail::PreparedSource>& sources) const {
        std::string read = "read_verilog ";
        if (detail::deferred_elaboration(settings_))
            read += "-defer ";
        auto prefix = settings_.path_style == "absolute" ? build_dir_.string() + "/" : "";
        for (const auto& option : detail::read_options(settings_, prefix))
            read += option + " ";
        std::string script;
        for (const auto& source : sources)
            script += read + path("src/" + source.name) + "\n";
        for (const auto& command : detail::parameter_commands(settings_))
            script += command + "\n";
        script += std::string(synth_pass()) + " -top " + settings_.top + " -json " +
                  path("netlist.json") + "\n";
        return script;
    }

    std::string synthesis_key(const std::string& yosys_version, const std::string& script,
                              const std::vector<detail::PreparedSource>& sources) {
        std::string material = "yosys " + yosys_version + "\nscript\n" + script;
        for (const auto& source : sources)
            material += "source " + source.name + " " + sha256_hex(source.text) + "\n";
        // Only designs that have them add these lines, so earlier keys stay as they were.
        for (const auto& include : design_.includes)
            material +=
                "include " + include + " " + file_sha256(settings_.rtl_dir / include) + "\n";
        for (const auto& data : design_.data)
            material += "data " + data + " " + file_sha256(settings_.rtl_dir / data) + "\n";
        return std::string(synth_pass()) + ":" + sha256_hex(std::string_view(material));
    }

    bool synthesize(const std::vector<detail::PreparedSource>& sources) {
        std::string script = yosys_script(sources);
        write_file(build_dir_ / "synth.ys", script);
        std::string key =
            synthesis_key(detail::yosys_version(settings_.tools, stage_limit()), script, sources);
        run_.provenance["yosys_script"] = script;
        run_.provenance["synthesis_key"] = key;
        if (settings_.reuse_synthesis && context_.store)
            if (auto sha = context_.store->cache_lookup(key)) {
                write_file(build_dir_ / "netlist.json", context_.store->get_blob(*sha));
                run_.add_param("synthesis_reused", "true");
                context_.enter_stage("synthesis reused");
                return true;
            }
        run_.add_param("synthesis_reused", "false");
        std::vector<std::string> inputs{"synth.ys"};
        for (const auto& source : sources)
            inputs.push_back("src/" + source.name);
        for (const auto& include : design_.includes)
            inputs.push_back("src/" + include);
        inputs.insert(inputs.end(), design_.data.begin(), design_.data.end());
        if (!run_stage("yosys", {"yosys", "-s", path("synth.ys")}, inputs)) {
            if (auto text = detail::explain_tool_error(run_.message, design_, settings_);
                !text.empty())
                run_.message += "\n" + text;
            return false;
        }
        if (!std::filesystem::exists(build_dir_ / "netlist.json"))
            return fail(db::kStatusFailed, "yosys", "yosys wrote no netlist.json");
        if (context_.store)
            context_.store->cache_store(
                key, context_.store->put_blob(read_file_bytes(build_dir_ / "netlist.json")));
        return true;
    }

    bool place_and_route() {
        if (!ice40()) { // issue 27: family
            auto name = [this](std::string file) {
                return path(file);
            };
            return run_stage("nextpnr", detail::family_nextpnr_argv(settings_, name),
                             {"netlist.json", pins_name()}) &&
                   expect_output("nextpnr", flow().pnr_output);
        }
        std::vector<std::string> argv{"nextpnr-ice40", "--" + settings_.device,
                                      "--package",     settings_.package,
                                      "--pcf",         path("pins.pcf"),
                                      "--freq",        detail::number_text(settings_.freq_mhz),
                                      "--seed",        std::to_string(settings_.seed),
                                      "--threads",     std::to_string(settings_.threads)};
        if (settings_.parallel_refine)
            argv.push_back("--parallel-refine");
        for (std::string arg : {"--placer", settings_.placer.c_str(), "--router",
                                settings_.router.c_str(), "--timing-allow-fail", "--json"})
            argv.push_back(arg);
        argv.push_back(path("netlist.json"));
        argv.insert(argv.end(),
                    {"--asc", path("bitstream.asc"), "--report", path("nextpnr-report.json")});
        if (!run_stage("nextpnr", argv, {"netlist.json", "pins.pcf"}))
            return false;
        return expect_output("nextpnr", "bitstream.asc");
    }

    bool pack() {
        if (!ice40()) { // issue 27: family
            auto name = [this](std::string file) {
                return path(file);
            };
            return run_stage(flow().pack_tool, detail::family_pack_argv(settings_, name),
                             {flow().pnr_output}) &&
                   expect_output(flow().pack_tool, flow().bitstream);
        }
        if (!run_stage("icepack", {"icepack", path("bitstream.asc"), path("bitstream.bin")},
                       {"bitstream.asc"}))
            return false;
        return expect_output("icepack", "bitstream.bin");
    }

    bool analyse_timing() {
        if (!ice40()) // issue 27: family: no icetime; nextpnr's report gives fmax_mhz
            return true;
        std::vector<std::string> argv{
            "icetime",        "-d", settings_.device,     "-P", settings_.package, "-p",
            path("pins.pcf"), "-t", path("bitstream.asc")};
        if (!run_stage("icetime", argv, {"bitstream.asc", "pins.pcf"}))
            return false;
        if (auto mhz = detail::parse_icetime_mhz(last_output_))
            run_.add_metric(db::metric::kFmaxIcetimeMhz, *mhz);
        return true;
    }

    bool expect_output(const std::string& stage, const std::string& name) {
        if (std::filesystem::exists(build_dir_ / name))
            return true;
        return fail(db::kStatusFailed, stage, stage + " exited 0 but wrote no " + name);
    }

    void record_outputs() {
        if (!ice40()) {
            // issue 27: family: the packed .bit or .fs is the run's bitstream artifact (the
            // analysis reads each family's); nextpnr's outputs beside.
            run_.add_artifact(db::artifact::kNetlist,
                              read_file_bytes(build_dir_ / db::artifact::kNetlist));
            for (const char* name : flow().artifacts)
                run_.add_artifact(name, read_file_bytes(build_dir_ / name));
            run_.add_artifact(db::artifact::kBitstream,
                              read_file_bytes(build_dir_ / flow().bitstream));
        } else {
            for (const char* name : {db::artifact::kNetlist, db::artifact::kAsc,
                                     db::artifact::kBitstream, "nextpnr-report.json"})
                run_.add_artifact(name, read_file_bytes(build_dir_ / name));
        }
        std::string report_text = read_file_text(build_dir_ / "nextpnr-report.json");
        if (auto pct = detail::logic_utilisation_pct(report_text, settings_.family))
            run_.add_metric(db::metric::kLogicUtilisationPct, *pct);
        auto report = detail::parse_nextpnr_report(report_text);
        if (report.fmax_mhz)
            run_.add_metric(db::metric::kFmaxMhz, *report.fmax_mhz);
        static const std::vector<std::pair<std::string, std::string>> cells{
            {"ICESTORM_LC", db::metric::kLogicCells},
            {"ICESTORM_RAM", db::metric::kRamBlocks},
            {"SB_IO", db::metric::kIoCells},
            {"SB_GB", db::metric::kGlobalBuffers},
            // issue 27: family: ECP5 cells
            {"TRELLIS_COMB", db::metric::kLogicCells},
            {"DP16KD", db::metric::kRamBlocks},
            {"TRELLIS_IO", db::metric::kIoCells},
            {"MULT18X18D", db::metric::kDspBlocks},
            {"SLICE", db::metric::kLogicCells}, // Gowin
            {"IOB", db::metric::kIoCells}};
        for (const auto& [cell, metric] : cells)
            if (auto it = report.used.find(cell); it != report.used.end())
                run_.add_metric(metric, static_cast<double>(it->second));
    }

    nlohmann::json config_;
    Settings settings_;
    detail::DesignInputs design_; // include and data files besides the sources
    const observation::Context& context_;
    db::RunResult run_;
    std::optional<TempDir> scratch_; // the run's directory when there is no work root
    std::filesystem::path run_dir_, build_dir_;
    double tools_wall_s_ = 0;
    std::string last_output_; // stdout then stderr of the latest stage
};

} // namespace

db::RunResult run_build(const nlohmann::json& config, int repeat,
                        const observation::Context& context) {
    auto completed = complete_config(config_keys(), config, "config");
    return Build(completed, repeat, context).run();
}

std::string synthesis_key(const nlohmann::json& config, const std::string& yosys_version) {
    auto completed = complete_config(config_keys(), config, "config");
    observation::Context no_store;
    return Build(completed, 0, no_store).planned_synthesis_key(yosys_version);
}

std::string synthesis_key(const nlohmann::json& config) {
    auto completed = complete_config(config_keys(), config, "config");
    auto tools = completed.at("tools").get<std::string>();
    return synthesis_key(completed, detail::yosys_version(tools, std::chrono::seconds(20)));
}

bool synthesis_stored(const db::Store& store, const std::string& key) {
    return !key.empty() && store.cache_lookup(key).has_value();
}

} // namespace detlab::toolchain
