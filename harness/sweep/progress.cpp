#include "harness/sweep/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace detlab::sweep {
namespace {

std::string stage_text(const ActiveRun& run) {
    return run.stage.empty() ? "starting" : run.stage;
}

std::string eta(const ProgressCounts& counts, double now) {
    int finished = counts.done + counts.failed;
    if (finished == 0)
        return "?";
    double per_run = (now - counts.start) / finished;
    return format_duration(per_run * (counts.total - finished));
}

} // namespace

std::string format_duration(double seconds) {
    auto total = static_cast<long>(std::lround(std::max(seconds, 0.0)));
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total / 60) % 60);
    else if (total >= 60)
        std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lds", total);
    return text;
}

std::string format_status_line(const ProgressCounts& counts, const std::vector<ActiveRun>& active,
                               double now, std::size_t width) {
    constexpr int kBar = 20;
    int finished = counts.done + counts.failed;
    int filled = counts.total > 0 ? kBar * finished / counts.total : kBar;
    std::string bar(static_cast<std::size_t>(std::clamp(filled, 0, kBar)), '#');
    bar.resize(kBar, '.');
    std::ostringstream line;
    line << "[" << bar << "] " << finished << "/" << counts.total << "  done " << counts.done
         << "  failed " << counts.failed << "  elapsed " << format_duration(now - counts.start)
         << "  ETA " << eta(counts, now);
    // The runs' slots are 16 hex digits; 8 tell the active ones apart on one line.
    for (const auto& run : active)
        line << " | " << run.id.substr(0, 8) << " " << stage_text(run) << " "
             << format_duration(now - run.started);
    std::string text = line.str();
    std::size_t limit = std::max<std::size_t>(width, 2) - 1;
    if (text.size() > limit)
        text.resize(limit);
    return text;
}

std::string format_stage_line(const ActiveRun& run, double now) {
    return "detlab run: stage  " + run.kind + " " + run.id + "  " + stage_text(run) + "  at " +
           format_duration(now - run.started);
}

std::string describe_point(const PlannedRun& run) {
    if (run.factor_value.is_object()) {
        std::string text;
        for (const auto& [key, value] : run.factor_value.items())
            text += (text.empty() ? "" : " ") + key + "=" + observation::param_text(value);
        return text;
    }
    return run.factor + "=" + observation::param_text(run.factor_value);
}

Progress::Progress(std::ostream* out, bool bar, int total, std::size_t width,
                   std::chrono::milliseconds tick, Clock clock)
    : out_(out), bar_(bar && out), width_(width),
      clock_(clock ? std::move(clock) : Clock(monotonic_seconds)) {
    counts_.total = total;
    counts_.start = clock_();
    if (bar_ && tick.count() > 0)
        ticker_ = std::thread([this, tick] {
            std::unique_lock lock(mutex_);
            while (!stopping_) {
                wake_.wait_for(lock, tick);
                if (!stopping_ && drawn_)
                    draw();
            }
        });
}

Progress::~Progress() {
    stop_ticker();
}

void Progress::stop_ticker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (ticker_.joinable())
        ticker_.join();
}

void Progress::started(const PlannedRun& run) {
    std::lock_guard lock(mutex_);
    active_.push_back({run.id, run.kind, "", clock_()});
    if (!out_)
        return;
    if (bar_)
        return draw();
    *out_ << "detlab run: start  " << run.kind << " " << run.id << "  " << run.study << ": "
          << describe_point(run) << " (repeat " << run.repeat << ")\n"
          << std::flush;
}

void Progress::stage(const PlannedRun& run, std::string_view stage) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(active_.begin(), active_.end(),
                           [&](const ActiveRun& a) { return a.id == run.id; });
    if (it == active_.end() || it->stage == stage)
        return; // one line per change, not per report
    it->stage = std::string(stage);
    if (!out_)
        return;
    if (bar_)
        return draw();
    *out_ << format_stage_line(*it, clock_()) << "\n" << std::flush;
}

std::vector<std::string> message_lines(const std::string& message, std::size_t limit) {
    std::vector<std::string> lines;
    std::istringstream in(message);
    std::string line;
    bool first = true;
    while (lines.size() < limit && std::getline(in, line)) {
        if (first || line.find("ERROR") != std::string::npos) {
            for (auto& c : line)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                    c = '?';
            lines.push_back(line);
        }
        first = false;
    }
    return lines;
}

void Progress::finished(const PlannedRun& run, const std::string& status, double seconds,
                        const std::string& message, const std::string& recorded_id) {
    std::lock_guard lock(mutex_);
    std::erase_if(active_, [&](const ActiveRun& a) { return a.id == run.id; });
    bool ok = status == db::kStatusDone;
    ++(ok ? counts_.done : counts_.failed);
    if (!out_)
        return;
    std::ostringstream line;
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.1f s", seconds);
    line << "detlab run: [" << counts_.done + counts_.failed << "/" << counts_.total << "] "
         << status << "  " << run.kind << " " << (recorded_id.empty() ? run.id : recorded_id)
         << "  " << run.study << ": " << describe_point(run) << "  " << wall;
    if (!ok)
        for (const auto& text : message_lines(message, 4))
            line << "\n    " << text;
    if (bar_) {
        // Failures stay on screen above the bar; successes only move the bar.
        if (!ok)
            *out_ << "\r\033[K" << line.str() << "\n";
        return draw();
    }
    *out_ << line.str() << "\n" << std::flush;
}

void Progress::skipped(const PlannedRun& run, const std::string& why) {
    std::lock_guard lock(mutex_);
    --counts_.total;
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

void Progress::redraw() {
    std::lock_guard lock(mutex_);
    if (bar_)
        draw();
}

void Progress::close() {
    stop_ticker();
    std::lock_guard lock(mutex_);
    if (out_ && bar_ && drawn_)
        *out_ << "\n" << std::flush;
    drawn_ = false;
}

void Progress::draw() {
    *out_ << "\r\033[K" << format_status_line(counts_, active_, clock_(), width_) << std::flush;
    drawn_ = true;
}

} // namespace detlab::sweep
