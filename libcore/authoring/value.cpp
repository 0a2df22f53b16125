#include "authoring/value.hpp"

#include "authoring/py_float.hpp"

namespace cortado::authoring {

std::string SrcPos::str(const std::string& fallback) const {
  if (file.empty()) return fallback;
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

Value Value::enum_name(std::string name) {
  Value v(std::move(name));
  v.kind_ = Kind::enum_name;
  return v;
}

std::string Value::describe() const {
  switch (kind_) {
    case Kind::integer: return "the integer " + std::to_string(int_);
    case Kind::real: return "the number " + py_float_repr(real_);
    case Kind::boolean: return int_ ? "True" : "False";
    case Kind::string: return "the string \"" + text_ + "\"";
    case Kind::enum_name: return "the name " + text_;
    case Kind::list: return "a list";
    case Kind::dict: return "a dict";
  }
  return "a value";
}

}  // namespace cortado::authoring
