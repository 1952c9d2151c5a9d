// Private to harness/process: a tool's output kept up to a limit. A tool that prints gigabytes
// costs bounded memory: the first half of the limit (the head, ending at a line break) and the
// last half (the tail, starting at one) are kept, the bytes between are counted, and the lines
// naming "ERROR" among them are kept whole (up to a share of the limit), because a run's message
// is built from its tool's ERROR lines (sweep::message_lines).
#pragma once

#include <cstddef>
#include <string>

namespace detlab::process::detail {

class Capture {
public:
    // limit: bytes kept of the stream (head and tail); 0 keeps everything.
    explicit Capture(std::size_t limit);

    void append(const char* data, std::size_t size);
    // The kept text; what was dropped between head and tail is said by a line of its own:
    // "[detlab: 123456 bytes of output dropped here ...]".
    std::string finish();
    std::size_t dropped() const { return dropped_; }

private:
    void feed_tail(const char* data, std::size_t size);
    void evict(std::size_t excess);

    std::size_t head_limit_, tail_limit_, error_limit_;
    bool unlimited_;
    std::string head_;
    bool head_full_ = false;
    std::string tail_; // live from tail_start_; compacted now and then
    std::size_t tail_start_ = 0;
    std::size_t dropped_ = 0;
    std::string errors_; // ERROR lines among the dropped bytes
    std::size_t errors_dropped_ = 0;
};

} // namespace detlab::process::detail
