#pragma once
// The values NetSpec keyword arguments can take (numbers, strings, enum names,
// booleans, lists, dict(...)), written either by the spec reader from a file
// or directly in C++ by the built-in templates. Each value remembers where it
// came from so that a schema error can point at the file, line and column.
#include <string>
#include <utility>
#include <vector>

namespace cortado::authoring {

struct SrcPos {
  std::string file;  // empty for values built in C++
  int line = 0, col = 0;
  // "file:line:col", or `fallback` when the value has no position.
  std::string str(const std::string& fallback = "") const;
};

class Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>;  // keeps the order written

class Value {
 public:
  enum class Kind { integer, real, boolean, string, enum_name, list, dict };

  Value(int v) : kind_(Kind::integer), int_(v), real_(v) {}
  Value(unsigned v) : kind_(Kind::integer), int_(v), real_(v) {}
  Value(long long v) : kind_(Kind::integer), int_(v), real_(static_cast<double>(v)) {}
  Value(double v) : kind_(Kind::real), real_(v) {}
  Value(bool v) : kind_(Kind::boolean), int_(v ? 1 : 0), real_(v ? 1 : 0) {}
  Value(const char* v) : kind_(Kind::string), text_(v) {}
  Value(std::string v) : kind_(Kind::string), text_(std::move(v)) {}
  Value(List v) : kind_(Kind::list), items_(std::move(v)) {}
  Value(Dict v) : kind_(Kind::dict), fields_(std::move(v)) {}
  // An enum value by name, e.g. MAX or LMDB (what P.Pooling.MAX stands for).
  static Value enum_name(std::string name);

  Kind kind() const { return kind_; }
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::real; }
  long long as_int() const { return int_; }
  double as_real() const { return real_; }
  const std::string& text() const { return text_; }  // string or enum name
  const List& items() const { return items_; }
  const Dict& fields() const { return fields_; }

  const SrcPos& pos() const { return pos_; }
  Value& at(SrcPos p) {
    pos_ = std::move(p);
    return *this;
  }
  // For an entry of dict(...): where its key was written (errors about the key point there).
  const SrcPos& key_pos() const { return key_pos_.file.empty() ? pos_ : key_pos_; }
  void set_key_pos(SrcPos p) { key_pos_ = std::move(p); }
  // A short description for error messages: "a string", "the enum name MAX", ...
  std::string describe() const;

 private:
  Kind kind_;
  long long int_ = 0;
  double real_ = 0;
  std::string text_;
  List items_;
  Dict fields_;
  SrcPos pos_, key_pos_;
};

// One keyword argument of a layer call, with the position of its name.
struct Kwarg {
  Kwarg(std::string n, Value v, SrcPos p = {})
      : name(std::move(n)), value(std::move(v)), pos(std::move(p)) {}
  std::string name;
  Value value;
  SrcPos pos;
};
using Kwargs = std::vector<Kwarg>;

}  // namespace cortado::authoring
