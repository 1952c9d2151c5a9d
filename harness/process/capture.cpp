// A tool's output kept up to a limit (see capture.h).
#include "harness/process/capture.h"

#include <algorithm>
#include <string_view>

namespace detlab::process::detail {
namespace {

// A line longer than this is cut where the limit falls instead of being kept whole: a head or
// tail is never given up for one endless line.
constexpr std::size_t kLongestLine = 64 * 1024;

bool names_error(std::string_view line) {
    return line.find("ERROR") != std::string_view::npos;
}

} // namespace

Capture::Capture(std::size_t limit)
    : head_limit_(limit / 2), tail_limit_(limit - limit / 2), error_limit_(limit / 8),
      unlimited_(limit == 0) {}

void Capture::append(const char* data, std::size_t size) {
    if (unlimited_) {
        head_.append(data, size);
        return;
    }
    if (!head_full_) {
        std::size_t take = std::min(size, head_limit_ - head_.size());
        head_.append(data, take);
        data += take;
        size -= take;
        if (head_.size() < head_limit_)
            return;
        head_full_ = true;
        // The head ends at a line break: its unfinished last line goes on with the rest.
        auto last_break = head_.rfind('\n');
        if (last_break != std::string::npos && head_.size() - last_break - 1 <= kLongestLine) {
            std::string rest = head_.substr(last_break + 1);
            head_.resize(last_break + 1);
            feed_tail(rest.data(), rest.size());
        }
    }
    feed_tail(data, size);
}

void Capture::feed_tail(const char* data, std::size_t size) {
    tail_.append(data, size);
    std::size_t live = tail_.size() - tail_start_;
    if (live > tail_limit_)
        evict(live - tail_limit_);
    if (tail_start_ > tail_limit_) { // compact: the dead front is at least as big as the tail
        tail_.erase(0, tail_start_);
        tail_start_ = 0;
    }
}

// Drops at least `excess` bytes from the tail's front, whole lines where there are line breaks,
// keeping the ERROR lines among them (while they fit).
void Capture::evict(std::size_t excess) {
    std::size_t goal = tail_start_ + excess;
    while (tail_start_ < goal) {
        // Only as far as a line may reach: an endless line must not be searched again for
        // every chunk that arrives.
        std::size_t window =
            std::min(tail_.size() - tail_start_, goal - tail_start_ + kLongestLine);
        std::string_view live(tail_.data() + tail_start_, window);
        auto line_break = live.find('\n');
        std::size_t take = line_break == std::string_view::npos ? live.size() : line_break + 1;
        if (take > goal - tail_start_ + kLongestLine)
            take = goal - tail_start_; // one endless line: cut it where the limit falls
        std::string_view line = live.substr(0, take);
        if (names_error(line) && line.ends_with('\n')) {
            if (errors_.size() + line.size() <= error_limit_)
                errors_.append(line);
            else
                ++errors_dropped_;
        }
        dropped_ += take;
        tail_start_ += take;
    }
}

std::string Capture::finish() {
    if (unlimited_)
        return std::move(head_);
    std::string out = std::move(head_);
    if (dropped_ > 0) {
        if (!out.empty() && out.back() != '\n')
            out += '\n';
        out += "[detlab: " + std::to_string(dropped_) +
               " bytes of output dropped here (kept: the first and last bytes up to the limit";
        out += errors_.empty() ? ")]\n" : ", and the ERROR lines among the dropped ones, next)]\n";
        out += errors_;
        if (errors_dropped_ > 0)
            out += "[detlab: " + std::to_string(errors_dropped_) +
                   " more ERROR line(s) among them dropped]\n";
    }
    out.append(tail_, tail_start_);
    return out;
}

} // namespace detlab::process::detail
