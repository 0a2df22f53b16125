#include "authoring/caffe_log.hpp"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <regex>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace cortado::authoring {
namespace {

// A glog prefix's date and time; `year` is 0 when the line has none (classic format).
struct Stamp {
  int year = 0, month = 0, day = 0;
  long long micros_of_day = 0;
};

bool all_digits(const std::string& s, size_t from, size_t n) {
  if (s.size() < from + n) return false;
  for (size_t i = from; i < from + n; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// "I1127 13:47:07.499442 ..." or "I20261127 13:47:07.499442 ...".
bool read_stamp(const std::string& line, Stamp& st) {
  size_t p = line.find_first_not_of(" \t");
  if (p == std::string::npos || std::string("IWEF").find(line[p]) == std::string::npos) return false;
  size_t sp = line.find(' ', p);
  if (sp == std::string::npos) return false;
  const size_t date_len = sp - p - 1;
  if ((date_len != 4 && date_len != 8) || !all_digits(line, p + 1, date_len)) return false;
  const std::string date = line.substr(p + 1, date_len);
  st.year = date_len == 8 ? std::atoi(date.substr(0, 4).c_str()) : 0;
  st.month = std::atoi(date.substr(date_len - 4, 2).c_str());
  st.day = std::atoi(date.substr(date_len - 2, 2).c_str());
  // hh:mm:ss.micro
  const size_t t = sp + 1;
  if (!all_digits(line, t, 2) || line[t + 2] != ':' || !all_digits(line, t + 3, 2) ||
      line[t + 5] != ':' || !all_digits(line, t + 6, 2) || line[t + 8] != '.')
    return false;
  size_t f = t + 9, fe = f;
  while (fe < line.size() && std::isdigit(static_cast<unsigned char>(line[fe]))) ++fe;
  if (fe == f) return false;
  const long long h = std::atoi(line.substr(t, 2).c_str()), m = std::atoi(line.substr(t + 3, 2).c_str()),
                  s = std::atoi(line.substr(t + 6, 2).c_str());
  // parse_log.py reads the digits as an integer count of microseconds.
  const long long frac = std::atoll(line.substr(f, fe - f).c_str());
  st.micros_of_day = ((h * 60 + m) * 60 + s) * 1000000 + frac;
  return st.month >= 1 && st.month <= 12 && st.day >= 1 && st.day <= 31;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
long long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// One output row being filled, as parse_log.py's OrderedDict row.
struct OpenRow {
  bool open = false;
  double iteration = 0;
  std::vector<std::pair<std::string, double>> cells;  // after NumIters, Seconds, LearningRate
  double seconds = 0, lr = NAN;
};

// Collects rows the way parse_line_for_net_output does.
class RowCollector {
 public:
  explicit RowCollector(LogTable& t) : t_(t) {
    for (const char* c : {"NumIters", "Seconds", "LearningRate"}) t_.column(c);
  }

  void output(double iteration, double seconds, double lr, const std::string& name, double v) {
    if (!row_.open || row_.iteration != iteration) {
      if (row_.open) push();
      row_ = OpenRow{true, iteration, {}, seconds, lr};
    }
    for (auto& c : row_.cells)
      if (c.first == name) {
        c.second = v;
        return;
      }
    row_.cells.emplace_back(name, v);
  }

  // After every line: a row with as many columns as the first row is complete.
  void line_done() {
    if (row_.open && !t_.rows.empty() && row_.cells.size() + 3 == first_width_) push();
  }

  // End of the log: parse_log.py drops an unfinished last row; a partial row is still data.
  void finish() {
    if (row_.open) push();
    fix_initial_learning_rate();
  }

 private:
  void push() {
    std::vector<LogTable::Cell> r(t_.columns.size());
    r[0] = row_.iteration;
    r[1] = row_.seconds;
    r[2] = row_.lr;
    for (const auto& [name, v] : row_.cells) {
      size_t i = t_.column(name);
      r.resize(t_.columns.size());
      r[i] = v;
    }
    if (t_.rows.empty()) first_width_ = row_.cells.size() + 3;
    t_.rows.push_back(std::move(r));
    row_ = OpenRow{};
  }

  // The learning rate is logged after the first display and test, so the first
  // row has none; parse_log.py copies the second row's.
  void fix_initial_learning_rate() {
    if (t_.rows.size() > 1) t_.rows[0][2] = t_.rows[1][2];
  }

  LogTable& t_;
  OpenRow row_;
  size_t first_width_ = 0;
};

struct Matchers {
  std::regex iteration{R"(Iteration (\d+))"};
  std::regex train_output{R"(Train net output #(\d+): (\S+) = ([-+]?(?:nan|inf|[.\deE+-]+)))"};
  std::regex test_output{R"(Test net output #(\d+): (\S+) = ([-+]?(?:nan|inf|[.\deE+-]+)))"};
  std::regex learning_rate{R"(lr = ([-+]?[0-9]*\.?[0-9]+([eE]?[-+]?[0-9]+)?))"};
  std::regex testing_net{R"(Testing net \(#(\d+)\))"};
};

double to_double(const std::string& s) {
  // "-nan" is glog's spelling of a NaN with the sign bit set; it is still NaN.
  if (s.find("nan") != std::string::npos) return NAN;
  return std::strtod(s.c_str(), nullptr);
}

// Microseconds since the epoch of a stamp, with the year rules of parse_log.py.
class Clock {
 public:
  explicit Clock(int log_year) : year_(log_year) {}
  long long micros(const Stamp& st) {
    int year = st.year;
    if (year == 0) {
      // Classic glog lines carry no year: a month going backwards is a new year.
      if (last_month_ && st.month < last_month_) ++year_;
      year = year_;
    }
    last_month_ = st.month;
    return days_from_civil(year, st.month, st.day) * 86400000000LL + st.micros_of_day;
  }

 private:
  int year_;
  int last_month_ = 0;
};

}  // namespace

RunTables parse_caffe_log(const std::string& text, const std::string& path, int log_year) {
  static const Matchers re;
  std::vector<std::string> lines;
  for (size_t b = 0; b <= text.size();) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    lines.push_back(text.substr(b, e - b));
    b = e + 1;
  }

  // parse_log.py starts the clock at the first "Solving" line and reads on after it.
  Clock clock(log_year);
  size_t first = 0;
  long long start = 0;
  bool have_start = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    Stamp st;
    if (lines[i].find("Solving") != std::string::npos && read_stamp(lines[i], st)) {
      start = clock.micros(st);
      have_start = true;
      first = i + 1;
      break;
    }
  }
  if (!have_start) {  // parse_log.py would crash; start at the first stamped line instead
    for (const auto& l : lines) {
      Stamp st;
      if (read_stamp(l, st)) {
        start = clock.micros(st);
        have_start = true;
        break;
      }
    }
  }

  RunTables out;
  RowCollector train(out.train), test(out.test);
  double iteration = -1, lr = NAN;
  long long now = start;
  int test_net = 0;
  std::smatch m;
  for (size_t i = first; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    // Cheap substring tests first: std::regex is slow and most lines match nothing.
    const bool has_iteration = line.find("Iteration ") != std::string::npos;
    if (has_iteration && std::regex_search(line, m, re.iteration)) iteration = std::stod(m[1].str());
    if (iteration == -1) continue;
    Stamp st;
    if (read_stamp(line, st)) now = clock.micros(st);  // unstamped lines keep the last time
    const double seconds = static_cast<double>(now - start) / 1e6;

    const bool has_output = line.find(" net output #") != std::string::npos;
    if (has_iteration && std::regex_search(line, m, re.testing_net)) test_net = std::stoi(m[1].str());
    if (line.find("lr = ") != std::string::npos && std::regex_search(line, m, re.learning_rate))
      lr = std::stod(m[1].str());
    if (has_output && std::regex_search(line, m, re.train_output))
      train.output(iteration, seconds, lr, m[2].str(), to_double(m[3].str()));
    if (has_output && std::regex_search(line, m, re.test_output)) {
      std::string name = m[2].str();
      if (test_net > 0) name = "net" + std::to_string(test_net) + "/" + name;
      test.output(iteration, seconds, lr, name, to_double(m[3].str()));
    }
    train.line_done();
    test.line_done();
  }
  if (iteration == -1)
    throw Error(path, "no 'Iteration N' line: not a Caffe training log (or training never started)");
  train.finish();
  test.finish();
  return out;
}

RunTables parse_caffe_log_file(const std::string& path) {
  const std::string text = read_file(path);
  struct stat sb {};
  int year = 1970;
  if (::stat(path.c_str(), &sb) == 0) {
    std::tm tm{};
    time_t t = sb.st_ctime;
    localtime_r(&t, &tm);
    year = tm.tm_year + 1900;
  }
  return parse_caffe_log(text, path, year);
}

}  // namespace cortado::authoring
