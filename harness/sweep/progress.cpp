#include "harness/sweep/progress.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace detlab::sweep {
namespace {
std::string format_duration(double seconds) {
    auto total = static_cast<long>(std::lround(seconds));
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total / 60) % 60);
    else if (total >= 60)
        std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lds", total);
    return text;
}

struct CurrentRun {
    Progress* progress = nullptr;
    const PlannedRun* run = nullptr;
};
thread_local CurrentRun current_run;

std::string value_text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}
} // namespace

std::string describe_point(const PlannedRun& run) {
    if (run.factor_value.is_object()) {
        std::string text;
        for (const auto& [key, value] : run.factor_value.items())
            text += (text.empty() ? "" : " ") + key + "=" + value_text(value);
        return text;
    }
    return run.factor + "=" + value_text(run.factor_value);
}

Progress::Progress(std::ostream* out, bool bar, int total)
    : out_(out), bar_(bar && out), total_(total), start_(monotonic_seconds()) {}

void Progress::started(const PlannedRun& run) {
    std::lock_guard lock(mutex_);
    ++running_;
    if (!out_)
        return;
    if (bar_)
        return draw();
    *out_ << "detlab run: start  " << run.kind << " " << run.id << "  " << run.study << ": "
          << describe_point(run) << " (repeat " << run.repeat << ")\n"
          << std::flush;
}

void Progress::finished(const PlannedRun& run, const std::string& status, double seconds,
                        const std::string& message) {
    std::lock_guard lock(mutex_);
    --running_;
    bool ok = status == db::kStatusDone;
    ++(ok ? done_ : failed_);
    if (!out_)
        return;
    std::ostringstream line;
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.1f s", seconds);
    line << "detlab run: [" << done_ + failed_ << "/" << total_ << "] " << status << "  "
         << run.kind << " " << run.id << "  " << run.study << ": " << describe_point(run) << "  "
         << wall;
    if (!ok && !message.empty())
        line << "\n    " << message.substr(0, message.find('\n'));
    if (bar_) {
        // Failures stay on screen above the bar; successes only move the bar.
        if (!ok) {
            *out_ << "\r\033[K" << line.str() << "\n";
        }
        return draw();
    }
    *out_ << line.str() << "\n" << std::flush;
}

void Progress::skipped(const PlannedRun& run, const std::string& why) {
    std::lock_guard lock(mutex_);
    --total_;
    if (!out_)
        return;
    if (bar_)
        return draw();
    *out_ << "detlab run: skip   " << run.kind << " " << run.id << "  " << why << "\n"
          << std::flush;
}

void Progress::note(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (!out_)
        return;
    *out_ << (bar_ && drawn_ ? "\r\033[K" : "") << line << "\n";
    if (bar_)
        draw();
    *out_ << std::flush;
}

void Progress::step(const PlannedRun& run, int step, int steps) {
    std::lock_guard lock(mutex_);
    if (!out_)
        return;
    std::string text =
        run.kind + " " + run.id + " epoch " + std::to_string(step) + "/" + std::to_string(steps);
    if (bar_) {
        last_step_ = text;
        return draw();
    }
    *out_ << "detlab run: " << text << "\n" << std::flush;
}

StepScope::StepScope(Progress& progress, const PlannedRun& run) {
    current_run = {&progress, &run};
}

StepScope::~StepScope() {
    current_run = {};
}

void report_step(int step, int steps) {
    if (current_run.progress)
        current_run.progress->step(*current_run.run, step, steps);
}

void Progress::close() {
    std::lock_guard lock(mutex_);
    if (out_ && bar_ && drawn_)
        *out_ << "\n" << std::flush;
    drawn_ = false;
}

std::string Progress::eta() const {
    int finished = done_ + failed_;
    if (finished == 0)
        return "?";
    double per_run = (monotonic_seconds() - start_) / finished;
    return format_duration(per_run * (total_ - finished));
}

void Progress::draw() {
    constexpr int width = 30;
    int finished = done_ + failed_;
    int filled = total_ > 0 ? width * finished / total_ : width;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    *out_ << "\r\033[K[" << bar << "] " << finished << "/" << total_ << "  done " << done_
          << "  failed " << failed_ << "  running " << running_ << "  elapsed "
          << format_duration(monotonic_seconds() - start_) << "  ETA " << eta();
    if (!last_step_.empty() && running_ > 0)
        *out_ << "  (" << last_step_ << ")";
    *out_ << std::flush;
    drawn_ = true;
}

} // namespace detlab::sweep
