#pragma once
// The tables parse_log makes of a training run: one for the training outputs,
// one for the test outputs, each row an iteration. Columns as in Caffe's
// parse_log.py: NumIters, Seconds, LearningRate, then one per net output in the
// order first seen (outputs of test net #k > 0 are named "net<k>/<name>").
#include <optional>
#include <string>
#include <vector>

namespace cortado::authoring {

struct LogTable {
  using Cell = std::optional<double>;  // empty: the row never got this column (Caffe writes "")
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;

  // The column's index, added at the end (existing rows get empty cells) when new.
  size_t column(const std::string& name);
};

struct RunTables {
  LogTable train, test;
};

// Caffe's CSV: Python's csv.excel dialect (\r\n line ends, minimal quoting) and repr() numbers.
std::string table_to_csv(const LogTable& t, char delimiter = ',');
// A JSON array of row objects; NaN, infinities and empty cells are written as null.
std::string table_to_json(const LogTable& t);

}  // namespace cortado::authoring
