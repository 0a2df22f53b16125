#include "authoring/log_table.hpp"

#include <cmath>

#include "authoring/py_float.hpp"

namespace cortado::authoring {
namespace {

std::string csv_field(const std::string& s, char delimiter) {
  if (s.find_first_of(std::string(1, delimiter) + "\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

size_t LogTable::column(const std::string& name) {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  columns.push_back(name);
  for (auto& r : rows) r.resize(columns.size());
  return columns.size() - 1;
}

std::string table_to_csv(const LogTable& t, char delimiter) {
  std::string out;
  for (size_t i = 0; i < t.columns.size(); ++i)
    out += (i ? std::string(1, delimiter) : "") + csv_field(t.columns[i], delimiter);
  out += "\r\n";
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (i) out += delimiter;
      if (i < row.size() && row[i]) out += py_float_repr(*row[i]);
    }
    out += "\r\n";
  }
  return out;
}

std::string table_to_json(const LogTable& t) {
  std::string out = "[";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out += r ? ",\n {" : "\n {";
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const auto& cell = i < t.rows[r].size() ? t.rows[r][i] : LogTable::Cell{};
      out += (i ? ", " : "") + json_string(t.columns[i]) + ": ";
      out += cell && std::isfinite(*cell) ? py_float_repr(*cell) : "null";
    }
    out += "}";
  }
  return out + (t.rows.empty() ? "]\n" : "\n]\n");
}

}  // namespace cortado::authoring
