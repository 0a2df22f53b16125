#include "util/error.hpp"

namespace cortado {

Error::Error(const std::string& where, const std::string& what)
    : std::runtime_error(where.empty() ? what : where + ": " + what), where_(where) {}

void internal_failure(const char* cond, const char* file, int line) {
  throw InternalError(std::string("internal error (a bug in Cortado): ") + cond + " at " + file +
                      ":" + std::to_string(line));
}

}  // namespace cortado
