#include "authoring/plot.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <filesystem>

#include "authoring/py_float.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace cortado::authoring {
namespace {

// gnuplot single-quoted string: a quote is written twice.
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool is_loss(const std::string& name) { return name.find("loss") != std::string::npos; }

std::string datablock(const std::string& name, const LogTable& t) {
  std::string s = "$" + name + " << EOD\n";
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (i == 1 || i == 2) continue;  // Seconds and LearningRate are not plotted
      const auto cell = i < row.size() ? row[i] : LogTable::Cell{};
      s += (i ? " " : "") + (cell && std::isfinite(*cell) ? py_float_repr(*cell) : std::string("NaN"));
    }
    s += "\n";
  }
  return s + "EOD\n";
}

struct Series {
  std::string block, title;
  size_t column;  // gnuplot's 1-based column in the datablock
  bool right_axis, test;
};

std::vector<Series> series_of(const RunTables& run) {
  std::vector<Series> out;
  for (const auto* t : {&run.train, &run.test}) {
    const bool test = t == &run.test;
    if (t->rows.empty()) continue;
    for (size_t i = 3; i < t->columns.size(); ++i)
      out.push_back({test ? "test" : "train", (test ? "test " : "train ") + t->columns[i], i - 1,
                     !is_loss(t->columns[i]), test});
  }
  // With nothing but non-loss outputs, one (left) axis is enough.
  bool any_left = false;
  for (const auto& s : out) any_left |= !s.right_axis;
  if (!any_left)
    for (auto& s : out) s.right_axis = false;
  return out;
}

std::string terminal_for(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".png") return "pngcairo size 1100,650 font 'sans,10'";
  if (ext == ".svg") return "svg size 1100,650 dynamic font 'sans,10'";
  if (ext == ".pdf") return "pdfcairo size 11in,6.5in font 'sans,10'";
  throw Error(path, "--plot writes .png, .svg or .pdf, not '" + ext + "'");
}

}  // namespace

void check_plot_path(const std::string& out_path) {
  check_output_path(out_path);
  terminal_for(out_path);
}

std::string plot_script(const RunTables& run, const std::string& title, const std::string& terminal,
                        const std::string& output) {
  const std::vector<Series> series = series_of(run);
  if (series.empty()) throw Error(title, "nothing to plot: the log has no net outputs");
  bool right = false;
  for (const auto& s : series) right |= s.right_axis;

  std::string g = "set terminal " + terminal + "\nset output " + gp_quote(output) + "\n";
  g += "set title " + gp_quote(title) + " noenhanced\nset key noenhanced outside right top box\n";
  g += "set grid\nset xlabel 'Iterations'\nset ylabel 'loss'\nset ytics nomirror\n";
  if (right) g += "set y2label 'accuracy and other outputs'\nset y2tics\n";
  g += datablock("train", run.train) + datablock("test", run.test);
  g += "plot ";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    g += i ? ", \\\n     " : "";
    g += "$" + s.block + " using 1:" + std::to_string(s.column) + " axes x1" +
         (s.right_axis ? "y2" : "y1") + " title " + gp_quote(s.title) +
         (s.test ? " with linespoints pt 7 ps 0.8 lw 2" : " with lines lw 1.5");
  }
  return g + "\n";
}

void plot_run(const RunTables& run, const std::string& title, const std::string& out_path) {
  const std::string terminal = terminal_for(out_path);
  fs::path target(out_path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw Error(out_path, "cannot write: " + std::string(std::strerror(errno)));
  ::fchmod(fd, 0644);  // mkstemp's 0600 would make the chart private
  ::close(fd);
  const std::string tmp = tmpl, err = tmp + ".err";
  const RemoveOnSignal on_signal({tmp, err}, false);
  auto cleanup = [&] {
    ::unlink(tmp.c_str());
    ::unlink(err.c_str());
  };

  const std::string script = plot_script(run, title, terminal, tmp);
  const std::string cmd = "gnuplot 2>" + sh_quote(err);
  FILE* p = ::popen(cmd.c_str(), "w");
  if (!p) {
    cleanup();
    throw Error(out_path, "cannot start gnuplot");
  }
  // A gnuplot that dies early must not take us down with SIGPIPE.
  auto old_handler = std::signal(SIGPIPE, SIG_IGN);
  std::fwrite(script.data(), 1, script.size(), p);
  const int status = ::pclose(p);
  std::signal(SIGPIPE, old_handler);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::string message;
  try {
    message = read_file(err);
  } catch (const Error&) {
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (auto nl = message.rfind('\n'); nl != std::string::npos) message = message.substr(nl + 1);
  std::error_code ec;
  if (code != 0 || fs::file_size(tmp, ec) == 0) {
    cleanup();
    if (code == 127) throw Error(out_path, "gnuplot is not installed (Debian: gnuplot-nox)");
    throw Error(out_path, "gnuplot failed" + (message.empty() ? "" : ": " + message));
  }
  ::unlink(err.c_str());
  if (::rename(tmp.c_str(), out_path.c_str()) != 0) {
    cleanup();
    throw Error(out_path, "cannot rename the chart into place");
  }
}

}  // namespace cortado::authoring
