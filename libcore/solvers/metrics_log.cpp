#include "solvers/metrics_log.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "util/error.hpp"

namespace cortado {
namespace {

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }
std::string json_number(float v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_object(const NamedValues& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? "," : "") + json_string(values[i].first) + ":" + json_number(values[i].second);
  return out + "}";
}

}  // namespace

std::string output_value_name(const std::string& blob, int k, int count) {
  return count == 1 ? blob : fmt::format("{}[{}]", blob, k);
}

MetricsLog::MetricsLog(const std::string& path, bool append) : path_(path) {
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (!file_) throw Error(path, std::string("cannot write the metrics file: ") + std::strerror(errno));
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::write_line(const std::string& line) {
  if (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) < 0 ||
      std::fflush(file_) != 0)
    throw Error(path_, std::string("cannot write the metrics file: ") + std::strerror(errno));
}

void MetricsLog::train(int iter, double seconds, float lr, float loss,
                       const NamedValues& outputs) {
  write_line(fmt::format(R"({{"phase":"train","iter":{},"seconds":{},"lr":{},"loss":{},"outputs":{}}})",
                         iter, json_number(seconds), json_number(lr), json_number(loss),
                         json_object(outputs)));
}

void MetricsLog::test(int net, int iter, double seconds, const NamedValues& outputs) {
  write_line(fmt::format(R"({{"phase":"test","net":{},"iter":{},"seconds":{},"outputs":{}}})", net,
                         iter, json_number(seconds), json_object(outputs)));
}

}  // namespace cortado
