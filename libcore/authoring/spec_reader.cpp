#include "authoring/spec_reader.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "authoring/closest.hpp"
#include "authoring/layer_types.hpp"
#include "authoring/net_builder.hpp"
#include "authoring/spec_lexer.hpp"
#include "caffe.pb.h"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace cortado::authoring {
namespace {

// What an expression evaluates to: a plain value, tops of layers, a name that
// is not (yet) defined (an enum name such as MAX, or a typo), or NetSpec().
struct Eval {
  enum class Kind { value, tops, name, netspec } kind = Kind::value;
  Value value{0};
  std::vector<Top> tops;
  std::string name;  // as written, e.g. "P.Pooling.MAX"
  std::string last;  // its last part, e.g. "MAX"
  SrcPos pos;
};

struct Target {
  std::string name;
  Token tok;
};

class Reader {
 public:
  Reader(std::vector<Token> toks, const std::string& file, NetBuilder& net)
      : toks_(std::move(toks)), file_(file), net_(net) {}

  void run() {
    while (peek().kind != Token::Kind::end) statement();
  }

 private:
  // --- tokens ---------------------------------------------------------------
  const Token& peek(size_t k = 0) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  Token next() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool is_op(const Token& t, const char* op) const {
    return t.kind == Token::Kind::op && t.text == op;
  }
  bool accept(const char* op) {
    if (!is_op(peek(), op)) return false;
    ++i_;
    return true;
  }
  void expect(const char* op, const std::string& why) {
    if (!accept(op)) fail(peek(), "expected '" + std::string(op) + "' " + why + ", got " + describe(peek()));
  }
  SrcPos pos(const Token& t) const { return SrcPos{file_, t.line, t.col}; }
  [[noreturn]] void fail(const Token& t, const std::string& what) const {
    throw Error(pos(t).str(), what);
  }
  [[noreturn]] void fail(const SrcPos& p, const std::string& what) const { throw Error(p.str(), what); }

  // --- statements -------------------------------------------------------------
  void statement() {
    const Token& first = peek();
    if (first.kind == Token::Kind::newline) {
      ++i_;
      return;
    }
    if (first.kind == Token::Kind::name && (first.text == "import" || first.text == "from")) {
      while (peek().kind != Token::Kind::newline && peek().kind != Token::Kind::end) ++i_;
      return;
    }
    static const std::set<std::string> python_only = {"def", "class", "for", "while", "if", "return",
                                                      "with", "lambda", "print", "try"};
    if (first.kind == Token::Kind::name && python_only.count(first.text))
      fail(first, "'" + first.text + "' is Python, not part of a spec: write one assignment per "
                  "line, with values filled in (a function's body, unindented, reads as it is)");
    if (is_assignment())
      assignment();
    else
      expression_statement();
    if (peek().kind != Token::Kind::newline && peek().kind != Token::Kind::end)
      fail(peek(), "expected the end of the statement, got " + describe(peek()));
  }

  bool is_assignment() const {
    int depth = 0;
    for (size_t k = i_; k < toks_.size(); ++k) {
      const Token& t = toks_[k];
      if (t.kind == Token::Kind::newline || t.kind == Token::Kind::end) return false;
      if (t.kind != Token::Kind::op) continue;
      if (t.text == "(" || t.text == "[" || t.text == "{") ++depth;
      if (t.text == ")" || t.text == "]" || t.text == "}") --depth;
      if (t.text == "=" && depth == 0) return true;
    }
    return false;
  }

  Target target() {
    Token t = next();
    if (t.kind == Token::Kind::string) return {t.text, t};
    if (t.kind != Token::Kind::name)
      fail(t, "expected a name to assign to, got " + describe(t));
    Target out{t.text, t};
    if (accept(".")) {  // n.conv1
      Token m = next();
      if (m.kind != Token::Kind::name) fail(m, "expected a name after '.', got " + describe(m));
      out = {m.text, m};
      if (is_op(peek(), ".")) fail(peek(), "expected '=' after " + t.text + "." + m.text);
    } else if (accept("[")) {  // n["conv1/7x7_s2"]
      Token s = next();
      if (s.kind != Token::Kind::string) fail(s, "expected a quoted name inside [ ], got " + describe(s));
      expect("]", "after the name");
      out = {s.text, s};
    }
    return out;
  }

  void assignment() {
    std::vector<Target> targets{target()};
    while (accept(",")) {
      if (is_op(peek(), "=")) break;  // a trailing comma, as in `a, = ...`
      targets.push_back(target());
    }
    expect("=", "after the names assigned to");
    for (const auto& t : targets) check_new_name(t);

    const int layers_before = net_.net().layer_size();
    pending_ = &targets;
    Eval e = expr();
    const bool made_layer = pending_ == nullptr && net_.net().layer_size() > layers_before;
    pending_ = nullptr;
    if (e.kind == Eval::Kind::netspec) return;  // `n = caffe.NetSpec()`: n. prefixes need no setup
    if (made_layer) {
      for (const auto& t : targets) vars_.erase(t.name);
      return;
    }
    if (targets.size() != 1)
      fail(targets[1].tok, "only a layer call with ntop=" + std::to_string(targets.size()) +
                               " can be assigned to " + std::to_string(targets.size()) + " names");
    if (e.kind == Eval::Kind::name) {  // `backend = LMDB`: a variable holding an enum name
      e.value = Value::enum_name(e.last).at(e.pos);
      e.kind = Eval::Kind::value;
    }
    vars_[targets[0].name] = e;
  }

  // Tops are defined once; plain variables may be rebound, as in Python.
  void check_new_name(const Target& t) const {
    if (net_.has(t.name))
      fail(t.tok, "'" + t.name + "' is already defined; give this one another name");
  }

  void expression_statement() {
    const Token start = peek();
    const int layers_before = net_.net().layer_size();
    expr();
    if (net_.net().layer_size() == layers_before)
      fail(start, "this line does nothing: expected `name = Layer(...)` or a layer call");
  }

  // --- expressions ------------------------------------------------------------
  Eval expr() { return additive(); }

  Eval additive() {
    Eval left = term();
    while (is_op(peek(), "+") || is_op(peek(), "-")) {
      Token op = next();
      left = arith(op, left, term());
    }
    return left;
  }

  Eval term() {
    Eval left = unary();
    while (is_op(peek(), "*") || is_op(peek(), "/") || is_op(peek(), "//") || is_op(peek(), "%")) {
      Token op = next();
      left = arith(op, left, unary());
    }
    return left;
  }

  // Every nesting (parentheses, brackets, calls, signs, powers) passes through here:
  // too deep is an error rather than a stack overflow (Python stops near 200 too).
  static constexpr int kMaxNesting = 200;
  struct Nesting {
    explicit Nesting(Reader& r) : r(r) {
      if (++r.depth_ > kMaxNesting) r.fail(r.peek(), "expression nested more than 200 deep");
    }
    ~Nesting() { --r.depth_; }
    Reader& r;
  };

  Eval unary() {
    const Nesting nesting(*this);
    if (is_op(peek(), "-") || is_op(peek(), "+")) {
      Token op = next();
      Eval operand = unary();
      Eval zero;
      zero.value = Value(0);
      zero.pos = pos(op);
      return arith(op, zero, operand);
    }
    Eval base = primary();
    if (is_op(peek(), "**")) {
      Token op = next();
      return arith(op, base, unary());
    }
    return base;
  }

  Value number_of(const Eval& e, const Token& op) const {
    Value v = to_value(e);
    if (!v.is_number() && v.kind() != Value::Kind::boolean)
      fail(e.pos, "'" + op.text + "' needs numbers, got " + v.describe());
    return v;
  }

  Eval arith(const Token& op, const Eval& a, const Eval& b) const {
    Eval out;
    out.pos = a.pos;
    Value va = to_value(a), vb = to_value(b);
    if (op.text == "+" && va.kind() == Value::Kind::string && vb.kind() == Value::Kind::string) {
      out.value = Value(va.text() + vb.text());
      out.value.at(a.pos);
      return out;
    }
    va = number_of(a, op);
    vb = number_of(b, op);
    const bool ints = va.kind() != Value::Kind::real && vb.kind() != Value::Kind::real;
    const long long x = va.as_int(), y = vb.as_int();
    const double p = va.as_real(), q = vb.as_real();
    const std::string& o = op.text;
    if ((o == "/" || o == "//" || o == "%") && q == 0) fail(op, "division by zero");
    Value r(0);
    if (o == "+") r = ints ? Value(x + y) : Value(p + q);
    else if (o == "-") r = ints ? Value(x - y) : Value(p - q);
    else if (o == "*") r = ints ? Value(x * y) : Value(p * q);
    else if (o == "/") r = Value(p / q);
    else if (o == "//") r = ints ? Value(floor_div(x, y)) : Value(std::floor(p / q));
    else if (o == "%") r = ints ? Value(x - floor_div(x, y) * y) : Value(p - std::floor(p / q) * q);
    else if (o == "**") r = (ints && y >= 0) ? Value(static_cast<long long>(std::llround(std::pow(p, q))))
                                            : Value(std::pow(p, q));
    out.value = r;
    out.value.at(a.pos);
    return out;
  }

  static long long floor_div(long long x, long long y) {
    long long q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
    return q;
  }

  Eval primary() {
    const Token t = peek();
    Eval e;
    e.pos = pos(t);
    switch (t.kind) {
      case Token::Kind::number: {
        ++i_;
        e.value = parse_number(t);
        e.value.at(e.pos);
        return e;
      }
      case Token::Kind::string: {
        std::string s;
        while (peek().kind == Token::Kind::string) s += next().text;  // "a" "b" joins, as in Python
        e.value = Value(s);
        e.value.at(e.pos);
        return e;
      }
      case Token::Kind::name: return name_or_call();
      default: break;
    }
    if (accept("(")) return parenthesized(e.pos);
    if (accept("[")) {
      e.value = Value(sequence("]"));
      e.value.at(e.pos);
      return e;
    }
    if (accept("{")) {
      e.value = Value(dict_literal());
      e.value.at(e.pos);
      return e;
    }
    fail(t, "expected a value, got " + describe(t));
  }

  Value parse_number(const Token& t) const {
    const std::string& s = t.text;
    if (s.find_first_of(".eE") != std::string::npos) return Value(std::strtod(s.c_str(), nullptr));
    errno = 0;
    long long v = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == ERANGE) fail(t, "the number " + s + " is too large");
    return Value(v);
  }

  Eval parenthesized(const SrcPos& p) {
    Eval e;
    e.pos = p;
    if (accept(")")) {
      e.value = Value(List{});
      return e;
    }
    Eval first = expr();
    if (accept(")")) return first;
    List items{to_value(first)};
    while (accept(",")) {
      if (is_op(peek(), ")")) break;
      items.push_back(to_value(expr()));
    }
    expect(")", "to close the tuple");
    e.value = Value(items);
    e.value.at(p);
    return e;
  }

  List sequence(const char* close) {
    List items;
    while (!accept(close)) {
      items.push_back(to_value(expr()));
      if (!accept(",")) {
        expect(close, "to close the list");
        break;
      }
    }
    return items;
  }

  Dict dict_literal() {
    Dict d;
    while (!accept("}")) {
      Token k = next();
      if (k.kind != Token::Kind::string) fail(k, "expected a quoted key in { }, got " + describe(k));
      expect(":", "after the key");
      d.emplace_back(k.text, to_value(expr()));
      d.back().second.set_key_pos(pos(k));
      if (!accept(",")) {
        expect("}", "to close the dict");
        break;
      }
    }
    return d;
  }

  Eval name_or_call() {
    const Token start = next();
    std::vector<std::string> parts{start.text};
    while (is_op(peek(), ".") && peek(1).kind == Token::Kind::name) {
      ++i_;
      parts.push_back(next().text);
    }
    if (is_op(peek(), "(")) {
      ++i_;
      return call(parts, start);
    }
    Eval e;
    e.pos = pos(start);
    if (accept("[")) {  // n["conv1/7x7_s2"]
      Token s = next();
      if (s.kind != Token::Kind::string) fail(s, "expected a quoted name inside [ ], got " + describe(s));
      expect("]", "after the name");
      return lookup(s.text, s.text, e.pos);
    }
    std::string dotted = parts[0];
    for (size_t k = 1; k < parts.size(); ++k) dotted += "." + parts[k];
    if (parts.size() == 1) {
      if (dotted == "True" || dotted == "False") {
        e.value = Value(dotted == "True");
        e.value.at(e.pos);
        return e;
      }
      if (dotted == "None") fail(start, "None is not a value a prototxt can hold; leave the keyword out");
      auto it = vars_.find(dotted);
      if (it != vars_.end()) {
        Eval v = it->second;
        v.pos = e.pos;
        if (v.kind == Eval::Kind::value) v.value.at(e.pos);
        return v;
      }
    }
    // n.conv1 is the top conv1; P.Pooling.MAX is the enum name MAX.
    if (parts.size() <= 2) return lookup(parts.back(), dotted, e.pos);
    e.kind = Eval::Kind::name;
    e.name = dotted;
    e.last = parts.back();
    return e;
  }

  Eval lookup(const std::string& top, const std::string& written, const SrcPos& p) const {
    Eval e;
    e.pos = p;
    if (net_.has(top)) {
      e.kind = Eval::Kind::tops;
      e.tops = {net_[top]};
      return e;
    }
    e.kind = Eval::Kind::name;
    e.name = written;
    e.last = top;
    return e;
  }

  Eval call(const std::vector<std::string>& parts, const Token& start) {
    const std::string& callee = parts.back();
    Eval e;
    e.pos = pos(start);
    if (callee == "dict") {
      auto [bottoms, kwargs] = arguments(callee);
      if (!bottoms.empty()) fail(start, "dict(...) takes keyword arguments only, as dict(type=\"xavier\")");
      Dict d;
      for (auto& kw : kwargs) {
        d.emplace_back(kw.name, kw.value);
        d.back().second.set_key_pos(kw.pos);
      }
      e.value = Value(d);
      e.value.at(e.pos);
      return e;
    }
    if (callee == "NetSpec") {
      expect(")", "NetSpec() takes no arguments");
      e.kind = Eval::Kind::netspec;
      return e;
    }
    if (!find_layer_type(callee))
      fail(start, "unknown layer type '" + callee + "'" + did_you_mean(callee, layer_type_names()));

    // Only the outermost call of an assignment takes its names; nested calls get automatic ones.
    std::vector<std::string> names;
    if (pending_) {
      for (const auto& t : *pending_) names.push_back(t.name);
      pending_ = nullptr;
    }
    auto [bottom_evals, kwargs] = arguments(callee);
    std::vector<Top> bottoms;
    for (const auto& b : bottom_evals) bottoms.push_back(to_bottom(b));
    e.kind = Eval::Kind::tops;
    e.tops = net_.add_layer(names, callee, bottoms, kwargs, e.pos);
    return e;
  }

  std::pair<std::vector<Eval>, Kwargs> arguments(const std::string& callee) {
    std::vector<Eval> positional;
    Kwargs kwargs;
    while (!accept(")")) {
      if (peek().kind == Token::Kind::name && is_op(peek(1), "=")) {
        Token k = next();
        ++i_;
        for (const auto& kw : kwargs)
          if (kw.name == k.text) fail(k, "keyword '" + k.text + "' given twice");
        kwargs.push_back(Kwarg{k.text, to_value(expr()), pos(k)});
      } else {
        const Token at = peek();
        if (!kwargs.empty()) fail(at, "a bottom cannot follow keyword arguments (as in Python)");
        positional.push_back(expr());
      }
      if (!accept(",")) {
        expect(")", "to close the call of " + callee);
        break;
      }
    }
    return {positional, kwargs};
  }

  // --- conversions --------------------------------------------------------------
  Value to_value(const Eval& e) const {
    switch (e.kind) {
      case Eval::Kind::value: return e.value;
      case Eval::Kind::name: return Value::enum_name(e.last).at(e.pos);
      case Eval::Kind::tops: fail(e.pos, "a layer's top cannot be a parameter value");
      case Eval::Kind::netspec: fail(e.pos, "NetSpec() cannot be a parameter value");
    }
    return e.value;
  }

  Top to_bottom(const Eval& e) const {
    if (e.kind == Eval::Kind::value && e.value.kind() == Value::Kind::string) {
      // A quoted bottom names a top that Python could not spell: "conv1/7x7_s2".
      if (net_.has(e.value.text())) return net_[e.value.text()];
      fail(e.pos, "no top named '" + e.value.text() + "' is defined above" +
                      did_you_mean(e.value.text(), net_.names()));
    }
    if (e.kind == Eval::Kind::name)
      fail(e.pos, "'" + e.name + "' is not defined: a bottom must be a top assigned on an earlier line" +
                      did_you_mean(e.last, net_.names()));
    if (e.kind != Eval::Kind::tops)
      fail(e.pos, "a bottom must be a top assigned on an earlier line, got " + to_value(e).describe());
    if (e.tops.size() != 1)
      fail(e.pos, e.tops.empty() ? "this layer has no top (ntop=0) to use as a bottom"
                                 : "this call makes " + std::to_string(e.tops.size()) +
                                       " tops; assign them to names and pass one");
    return e.tops[0];
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;  // unary() calls open (Nesting)
  const std::string& file_;
  NetBuilder& net_;
  std::map<std::string, Eval> vars_;
  const std::vector<Target>* pending_ = nullptr;
};

}  // namespace

void read_spec(const std::string& text, const std::string& file, NetBuilder& net) {
  Reader(tokenize(text, file), file, net).run();
}

caffe::NetParameter read_spec_file(const std::string& path, const std::string& net_name) {
  NetBuilder net(net_name);
  read_spec(read_file(path), path, net);
  if (net.net().layer_size() == 0) throw Error(path, "defines no layers");
  return net.net();
}

}  // namespace cortado::authoring
