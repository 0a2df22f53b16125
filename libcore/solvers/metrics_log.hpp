#pragma once
// The --metrics file: one JSON object per line, one line per display and per
// test, for programs that would rather not parse the glog-format log:
//   {"phase":"train","iter":100,"seconds":1.2,"lr":0.01,"loss":0.3,"outputs":{"loss":0.3}}
//   {"phase":"test","net":0,"iter":250,"seconds":9.8,"outputs":{"accuracy":0.8,"loss":0.5}}
// "seconds" counts from the start of the run; "loss" is the smoothed loss the
// log shows; an output blob with several values gives "name[0]", "name[1]", ...
// Non-finite numbers are written as null (JSON has no NaN). Each line is
// flushed as it is written, so the file is usable while training runs.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace cortado {

using NamedValues = std::vector<std::pair<std::string, float>>;

class MetricsLog {
 public:
  // `append` continues an existing file (resume); otherwise it is truncated.
  MetricsLog(const std::string& path, bool append);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  void train(int iter, double seconds, float lr, float loss, const NamedValues& outputs);
  void test(int net, int iter, double seconds, const NamedValues& outputs);

 private:
  void write_line(const std::string& line);
  std::string path_;
  std::FILE* file_ = nullptr;
};

// `name`, or `name[k]` when a blob has more than one value.
std::string output_value_name(const std::string& blob, int k, int count);

}  // namespace cortado
