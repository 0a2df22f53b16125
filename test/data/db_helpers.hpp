#pragma once
// Small helpers shared by the data-tool tests: whole databases as vectors, files.
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "db/lmdb.hpp"

namespace cortado::test {

using Entries = std::vector<std::pair<std::string, std::string>>;

inline Entries read_all(const std::string& db_path) {
  LmdbReader db(db_path);
  Entries out;
  for (bool ok = db.seek_first(); ok; ok = db.next())
    out.emplace_back(std::string(db.key()), std::string(db.value()));
  return out;
}

inline void write_db(const std::string& path, const Entries& entries) {
  LmdbWriter w(path);
  for (auto& [k, v] : entries) w.put(k, v);
  w.finish();
}

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// An error report is one line, the last on stderr: "TOOL: error: <file>: <what>".
// (Log lines may come before it.)
inline bool is_one_line_error(const std::string& err, const std::string& tool) {
  std::istringstream in(err);
  std::string line, last;
  int errors = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    last = line;
    if (line.find(": error: ") != std::string::npos) ++errors;
  }
  return errors == 1 && last.rfind(tool + ": error: ", 0) == 0;
}

}  // namespace cortado::test
