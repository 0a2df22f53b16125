// parse_log: a training log (Caffe's or ours) or a --metrics file as tables of
// the train and test outputs, as Caffe's tools/extra/parse_log.py writes them,
// plus JSON output and a gnuplot chart.
#include <cstdio>
#include <filesystem>
#include <string>

#include "authoring/caffe_log.hpp"
#include "authoring/metrics_format.hpp"
#include "authoring/plot.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/tool_main.hpp"

namespace au = cortado::authoring;
namespace fs = std::filesystem;

namespace {

struct Flags {
  std::string log, outdir, format = "csv", plot, delimiter = ",";
  bool verbose = false;
};

void write_table(const Flags& f, const au::LogTable& t, const std::string& suffix) {
  const std::string base = fs::path(f.log).filename().string() + suffix;
  std::string path = (fs::path(f.outdir) / base).string();
  if (f.format == "json") {
    path += ".json";
    cortado::write_file_atomic(path, au::table_to_json(t));
  } else {
    cortado::write_file_atomic(path, au::table_to_csv(t, f.delimiter[0]));
  }
  if (f.verbose) std::printf("Wrote %s\n", path.c_str());
}

int run(const Flags& f) {
  if (f.outdir.empty() && f.plot.empty())
    throw cortado::Error("parse_log", "give OUTDIR for the tables, --plot for a chart, or both");
  if (f.delimiter.size() != 1) throw cortado::Error("--delimiter", "must be one character");
  if (!f.outdir.empty() && !fs::is_directory(f.outdir))
    throw cortado::Error(f.outdir, "is not a folder (OUTDIR must exist)");
  if (!f.plot.empty()) au::check_plot_path(f.plot);  // before the tables are written
  const std::string text = cortado::read_file(f.log);
  const au::RunTables run = au::looks_like_metrics(text) ? au::parse_metrics(text, f.log)
                                                         : au::parse_caffe_log_file(f.log);
  if (!f.outdir.empty()) {
    write_table(f, run.train, ".train");
    write_table(f, run.test, ".test");
  }
  if (!f.plot.empty()) au::plot_run(run, fs::path(f.log).filename().string(), f.plot);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  return cortado::run_tool(
      argc, argv, "parse_log",
      "Parses a Caffe or Cortado training log (or a --metrics JSON-lines file) into\n"
      "OUTDIR/LOGNAME.train and OUTDIR/LOGNAME.test: NumIters, Seconds, LearningRate and one\n"
      "column per net output, with the numbers of Caffe's tools/extra/parse_log.py.",
      [&](CLI::App& app) {
        app.add_option("LOGFILE", f.log, "training log or metrics file")->required();
        app.add_option("OUTDIR", f.outdir, "folder for the tables");
        app.add_option("--format", f.format, "csv (Caffe's, default) or json (.train.json, .test.json)")
            ->check(CLI::IsMember({"csv", "json"}));
        app.add_option("--delimiter", f.delimiter, "CSV column delimiter (default ',')");
        app.add_option("--plot", f.plot, "also draw the outputs against iterations (.png, .svg or .pdf)");
        app.add_flag("--verbose", f.verbose, "print the names of the files written");
      },
      [&] { return run(f); });
}
