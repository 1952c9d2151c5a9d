// Invariants, kept apart from user errors (like nextpnr's NPNR_ASSERT beside log_error).
// DETLAB_ASSERT states what no input can break: when it fails, detlab has a bug. That is an
// InternalError (a std::logic_error), never an InputError (the user's mistake, exit 2): the CLI
// reports it as a bug with exit code 70 (EX_SOFTWARE), and a sweep does not store it as a run's
// result (a bug is not a measurement).
#pragma once

#include <stdexcept>
#include <string>

namespace detlab {

class InternalError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

// Throws InternalError("internal error: file:line: condition: detail").
[[noreturn]] void invariant_failed(const char* condition, const char* file, int line,
                                   const std::string& detail);

} // namespace detlab

// The file's base name only (GCC 12 and Clang have __FILE_NAME__): no checkout path reaches an
// object file, so ccache shares objects between checkouts.
#ifdef __FILE_NAME__
#define DETLAB_INVARIANT_FILE __FILE_NAME__
#else
#define DETLAB_INVARIANT_FILE "detlab"
#endif

// DETLAB_ASSERT(condition) or DETLAB_ASSERT(condition, "what was expected" + detail): checked
// in every build type (a measurement harness must not run on with a broken invariant).
#define DETLAB_ASSERT(condition, ...)                                                              \
    ((condition) ? void(0)                                                                         \
                 : ::detlab::invariant_failed(#condition, DETLAB_INVARIANT_FILE, __LINE__,         \
                                              std::string(__VA_ARGS__)))
