#pragma once
// Reading the `--metrics` file of train/resume/finetune back: JSON Lines, one
// object per display and per test. The training tools write it (see
// solvers/metrics_log.hpp for the writer and its exact shape):
//
//   {"phase":"train","iter":100,"seconds":1.2,"lr":0.01,"loss":0.3,"outputs":{"loss":0.3}}
//   {"phase":"test","net":0,"iter":250,"seconds":9.8,"outputs":{"accuracy":0.8,"loss":0.5}}
//
// "phase" ("train" or "test") and "iter" are required; "net" (test net index,
// default 0), "seconds" (since the run started) and "lr" are optional. The net
// outputs are the members of "outputs" — the values Caffe logs as "Train/Test
// net output #k" — so the top-level "loss" (the smoothed loss) is not a column.
// The flat form of the first draft, outputs as top-level keys and no
// "outputs" object ({"phase":"train","iter":100,"lr":0.01,"loss":0.3}), reads too.
// null, NaN and Infinity read as NaN and infinities.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "authoring/log_table.hpp"

namespace cortado::authoring {

struct MetricsRecord {
  std::string phase;  // "train" or "test"
  int net = 0;
  long long iter = 0;
  std::optional<double> seconds, lr;
  std::vector<std::pair<std::string, double>> outputs;  // in the net's output order
};

// `where` ("file:line") prefixes errors.
MetricsRecord parse_json_line(const std::string& line, const std::string& where);

// A whole metrics file as parse_log's tables (the same columns as for a log).
RunTables parse_metrics(const std::string& text, const std::string& path);
// Whether `text` looks like a metrics file (its first non-blank character is '{').
bool looks_like_metrics(const std::string& text);

}  // namespace cortado::authoring
