#include "harness/invariant/invariant.h"

namespace detlab {

void invariant_failed(const char* condition, const char* file, int line,
                      const std::string& detail) {
    std::string message =
        std::string("internal error: ") + file + ":" + std::to_string(line) + ": " + condition;
    if (!detail.empty())
        message.append(": ").append(detail);
    throw InternalError(message);
}

} // namespace detlab
