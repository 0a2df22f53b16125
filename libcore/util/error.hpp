#pragma once
// One error type for everything a user can get wrong (a file, a flag, a net).
// Bugs in Cortado itself use CORTADO_ASSERT, which throws InternalError instead,
// so the two are never confused in a report.
#include <stdexcept>
#include <string>

namespace cortado {

class Error : public std::runtime_error {
 public:
  // `where` is a file (optionally "file:line"), a layer ("layer 'conv1'") or empty.
  Error(const std::string& where, const std::string& what);
  explicit Error(const std::string& what) : Error("", what) {}
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void internal_failure(const char* cond, const char* file, int line);

}  // namespace cortado

#define CORTADO_ASSERT(cond) \
  ((cond) ? (void)0 : ::cortado::internal_failure(#cond, __FILE__, __LINE__))
