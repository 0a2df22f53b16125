#include "authoring/metrics_format.hpp"

#include <cmath>
#include <cstdlib>
#include <map>

#include "util/error.hpp"

namespace cortado::authoring {
namespace {

// A JSON value of a record: a number (NaN for null), a string, a boolean, or
// (one level deep only: "outputs") an object of such values.
struct JsonValue;
using JsonObject = std::vector<std::pair<std::string, JsonValue>>;
struct JsonValue {
  bool is_string = false, is_object = false;
  double number = 0;
  std::string text;
  JsonObject object;
};

// Reads one JSON object whose members may be objects of scalars; lists and
// deeper nesting are not part of the format.
class RecordReader {
 public:
  RecordReader(const std::string& s, const std::string& where) : s_(s), where_(where) {}

  JsonObject read() {
    JsonObject out = object(0);
    if (peek() != '\0') fail("unexpected text after the object");
    return out;
  }

 private:
  JsonObject object(int depth) {
    JsonObject out;
    expect('{');
    if (peek() == '}') {
      ++i_;
      return out;
    }
    while (true) {
      std::string key = string();
      expect(':');
      out.emplace_back(key, value(depth));
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      return out;
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(where_, what + " (column " + std::to_string(i_ + 1) + "; expected one JSON object)");
  }
  char peek() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ < s_.size() ? s_[i_] : '\0';
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool word(const char* w) {
    size_t n = std::char_traits<char>::length(w);
    if (s_.compare(i_, n, w) != 0) return false;
    i_ += n;
    return true;
  }

  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) fail("bad \\u escape");
          unsigned cp = static_cast<unsigned>(std::strtoul(s_.substr(i_, 4).c_str(), nullptr, 16));
          i_ += 4;
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: out += e;
      }
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }

  JsonValue value(int depth) {
    JsonValue v;
    const char c = peek();
    if (c == '{' && depth == 0) {
      v.is_object = true;
      v.object = object(1);
      return v;
    }
    if (c == '"') {
      v.is_string = true;
      v.text = string();
      return v;
    }
    v.number = NAN;
    if (word("null") || word("NaN")) return v;
    v.number = INFINITY;
    if (word("Infinity")) return v;
    v.number = -INFINITY;
    if (word("-Infinity")) return v;
    v.number = 1;
    if (word("true")) return v;
    v.number = 0;
    if (word("false")) return v;
    if (c == '{' || c == '[') fail("lists and deeper nesting are not part of the metrics format");
    const char* b = s_.c_str() + i_;
    char* e = nullptr;
    v.number = std::strtod(b, &e);
    if (e == b) fail("expected a value");
    i_ += static_cast<size_t>(e - b);
    return v;
  }

  const std::string& s_;
  const std::string& where_;
  size_t i_ = 0;
};

long long whole(const JsonValue& v, const std::string& key, const std::string& where) {
  if (v.is_string || !std::isfinite(v.number) || v.number != std::floor(v.number))
    throw Error(where, "'" + key + "' must be a whole number");
  return static_cast<long long>(v.number);
}

// Rows of the tables, with test outputs of the same iteration gathered in one row.
class TableBuilder {
 public:
  TableBuilder() {
    for (LogTable* t : {&out_.train, &out_.test})
      for (const char* c : {"NumIters", "Seconds", "LearningRate"}) t->column(c);
  }

  void add(const MetricsRecord& r) {
    if (r.lr) lr_ = *r.lr;
    const bool test = r.phase == "test";
    LogTable& t = test ? out_.test : out_.train;
    // A test net's outputs join the row of the other nets tested at this iteration.
    bool join = test && !t.rows.empty() && last_test_iter_ == r.iter && !nets_in_row_.count(r.net);
    if (!join) {
      t.rows.emplace_back(t.columns.size());
      auto& row = t.rows.back();
      row[0] = static_cast<double>(r.iter);
      if (r.seconds) row[1] = *r.seconds;
      row[2] = r.lr ? *r.lr : lr_;
      nets_in_row_.clear();
    }
    if (test) {
      last_test_iter_ = r.iter;
      nets_in_row_[r.net] = true;
    }
    for (const auto& [name, v] : r.outputs) {
      std::string col = test && r.net > 0 ? "net" + std::to_string(r.net) + "/" + name : name;
      size_t i = t.column(col);
      t.rows.back()[i] = v;
    }
  }
  RunTables take() { return std::move(out_); }

 private:
  RunTables out_;
  double lr_ = NAN;
  long long last_test_iter_ = -1;
  std::map<int, bool> nets_in_row_;
};

}  // namespace

MetricsRecord parse_json_line(const std::string& line, const std::string& where) {
  MetricsRecord r;
  bool has_phase = false, has_iter = false;
  std::vector<std::pair<std::string, double>> top_level;
  const JsonObject* outputs = nullptr;
  const JsonObject record = RecordReader(line, where).read();
  for (const auto& [key, v] : record) {
    if (key == "phase") {
      if (!v.is_string || (v.text != "train" && v.text != "test"))
        throw Error(where, "'phase' must be \"train\" or \"test\"");
      r.phase = v.text;
      has_phase = true;
    } else if (key == "iter") {
      r.iter = whole(v, key, where);
      has_iter = true;
    } else if (key == "net") {
      r.net = static_cast<int>(whole(v, key, where));
    } else if (key == "seconds" || key == "lr") {
      if (v.is_string) throw Error(where, "'" + key + "' must be a number");
      (key == "lr" ? r.lr : r.seconds) = v.number;
    } else if (key == "outputs" && v.is_object) {
      outputs = &v.object;
    } else if (!v.is_string && !v.is_object) {  // strings are notes for people, not outputs
      top_level.emplace_back(key, v.number);
    }
  }
  if (outputs) {
    for (const auto& [name, v] : *outputs)
      if (!v.is_string) r.outputs.emplace_back(name, v.number);
  } else {
    r.outputs = top_level;
  }
  if (!has_phase || !has_iter) throw Error(where, "a metrics record needs \"phase\" and \"iter\"");
  return r;
}

bool looks_like_metrics(const std::string& text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    return c == '{';
  }
  return false;
}

RunTables parse_metrics(const std::string& text, const std::string& path) {
  TableBuilder tables;
  int line_no = 0, records = 0;
  for (size_t b = 0; b < text.size();) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    const std::string line = text.substr(b, e - b);
    ++line_no;
    b = e + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    tables.add(parse_json_line(line, path + ":" + std::to_string(line_no)));
    ++records;
  }
  if (records == 0) throw Error(path, "no metrics records");
  return tables.take();
}

}  // namespace cortado::authoring
