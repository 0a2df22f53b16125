// parse_log against Caffe's parse_log.py output on the golden logs, plus the
// cases Caffe's script gets wrong or does not handle (NaN, several test nets,
// year prefix), the metrics file, JSON output and the gnuplot chart.
#include <catch2/catch.hpp>
#include <cmath>

#include "authoring/metrics_format.hpp"
#include "authoring/py_float.hpp"
#include "support/tool_runner.hpp"
#include "util/atomic_file.hpp"

using cortado::read_file;
using cortado::test::run_tool;
using cortado::test::temp_dir;
using cortado::test::testdata;
namespace au = cortado::authoring;

namespace {

// Runs parse_log LOG OUTDIR and returns {train, test} file texts.
std::pair<std::string, std::string> parse(const std::string& log, const std::string& name,
                                          const std::string& extra = "") {
  const std::string out = temp_dir(name);
  auto r = run_tool("parse_log", log + " " + out + " " + extra);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string base = out + "/" + log.substr(log.rfind('/') + 1);
  return {read_file(base + ".train"), read_file(base + ".test")};
}

std::string write_log(const std::string& name, const std::string& text) {
  const std::string path = temp_dir("logs_" + name) + "/" + name;
  cortado::write_file_atomic(path, text);
  return path;
}

std::string crlf(std::vector<std::string> lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\r\n";
  return s;
}

// Drops the Seconds column (the second) of each CSV line.
std::string without_seconds(const std::string& csv) {
  std::string out;
  size_t b = 0;
  while (b < csv.size()) {
    size_t e = csv.find('\n', b);
    std::string line = csv.substr(b, e - b + 1);
    size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    out += line.substr(0, c1) + line.substr(c2);
    b = e + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("py_float_repr writes numbers as Python's repr", "[authoring][parse_log]") {
  REQUIRE(au::py_float_repr(0.0) == "0.0");
  REQUIRE(au::py_float_repr(100.0) == "100.0");
  REQUIRE(au::py_float_repr(4.12651) == "4.12651");
  REQUIRE(au::py_float_repr(0.00985258) == "0.00985258");
  REQUIRE(au::py_float_repr(1e-05) == "1e-05");
  REQUIRE(au::py_float_repr(0.0001) == "0.0001");
  REQUIRE(au::py_float_repr(1.5e16) == "1.5e+16");
  REQUIRE(au::py_float_repr(1e15) == "1000000000000000.0");
  REQUIRE(au::py_float_repr(-2.5) == "-2.5");
  REQUIRE(au::py_float_repr(0.1 + 0.2) == "0.30000000000000004");
  REQUIRE(au::py_float_repr(NAN) == "nan");
  REQUIRE(au::py_float_repr(-INFINITY) == "-inf");
}

TEST_CASE("parse_log reproduces Caffe's parse_log.py byte for byte", "[authoring][parse_log]") {
  auto [train, test] = parse(testdata("authoring/lenet_train.log"), "golden");
  REQUIRE(train == read_file(testdata("authoring/lenet_train.log.train")));
  REQUIRE(test == read_file(testdata("authoring/lenet_train.log.test")));
}

TEST_CASE("parse_log reads glog 0.6's year-prefixed log of the same run", "[authoring][parse_log]") {
  auto [train, test] = parse(testdata("authoring/train_glog06_year_prefix.log"), "glog06");
  // Same numbers as the classic log; only the timing of the run differs.
  REQUIRE(without_seconds(train) == without_seconds(read_file(testdata("authoring/lenet_train.log.train"))));
  REQUIRE(without_seconds(test) == without_seconds(read_file(testdata("authoring/lenet_train.log.test"))));
  // Seconds from "Solving" at 13:42:39.603672 to the output lines 13:42:43.603336 and 13:42:49.436599.
  REQUIRE(train.find("\r\n0.0,3.999664,0.01,2.33144\r\n100.0,9.832927,0.01,0.673964\r\n") != std::string::npos);
}

TEST_CASE("parse_log reads the log of a resumed run", "[authoring][parse_log]") {
  auto [train, test] = parse(testdata("authoring/resume_from_500.log"), "resume");
  REQUIRE(test == crlf({"NumIters,Seconds,LearningRate,accuracy,loss",
                        "500.0,3.702172,0.00950522,0.8184,0.496962",
                        "750.0,19.846547,0.00950522,0.8586,0.399634",
                        "1000.0,45.39102,0.00937411,0.8447,0.427657"}));
  REQUIRE(train.rfind("NumIters,Seconds,LearningRate,loss\r\n500.0,3.766059,0.00964069,0.387679\r\n", 0) == 0);
  REQUIRE(std::count(train.begin(), train.end(), '\n') == 6);
}

TEST_CASE("parse_log keeps NaN and gives each test net its columns", "[authoring][parse_log]") {
  const std::string log = write_log("two_nets.log",
      "I0101 00:00:00.000000 1 solver.cpp:289] Solving Net\n"
      "I0101 00:00:00.500000 1 solver.cpp:347] Iteration 0, Testing net (#0)\n"
      "I0101 00:00:01.000000 1 solver.cpp:414]     Test net output #0: accuracy = 0.1\n"
      "I0101 00:00:01.000001 1 solver.cpp:414]     Test net output #1: loss = 2.3 (* 1 = 2.3 loss)\n"
      "I0101 00:00:01.100000 1 solver.cpp:347] Iteration 0, Testing net (#1)\n"
      "I0101 00:00:01.500000 1 solver.cpp:414]     Test net output #0: accuracy = 0.2\n"
      "I0101 00:00:01.500001 1 solver.cpp:414]     Test net output #1: loss = 2.2 (* 1 = 2.2 loss)\n"
      "I0101 00:00:02.000000 1 solver.cpp:239] Iteration 0 (0 iter/s, 2s/10 iters), loss = 2.31\n"
      "I0101 00:00:02.000001 1 solver.cpp:258]     Train net output #0: loss = 2.31 (* 1 = 2.31 loss)\n"
      "I0101 00:00:02.000002 1 sgd_solver.cpp:112] Iteration 0, lr = 0.1\n"
      "I0101 00:00:03.000000 1 solver.cpp:239] Iteration 10 (10 iter/s, 1s/10 iters), loss = nan\n"
      "I0101 00:00:03.000001 1 solver.cpp:258]     Train net output #0: loss = nan (* 1 = nan loss)\n"
      "I0101 00:00:03.000002 1 sgd_solver.cpp:112] Iteration 10, lr = 0.05\n"
      "I0101 00:00:04.000000 1 solver.cpp:347] Iteration 20, Testing net (#0)\n"
      "I0101 00:00:04.250000 1 solver.cpp:414]     Test net output #0: accuracy = 0.5\n"
      "I0101 00:00:04.250001 1 solver.cpp:414]     Test net output #1: loss = -nan (* 1 = -nan loss)\n"
      "I0101 00:00:04.300000 1 solver.cpp:347] Iteration 20, Testing net (#1)\n"
      "I0101 00:00:04.400000 1 solver.cpp:414]     Test net output #0: accuracy = 0.6\n"
      "I0101 00:00:04.400001 1 solver.cpp:414]     Test net output #1: loss = 1.5 (* 1 = 1.5 loss)\n"
      "I0101 00:00:05.000000 1 solver.cpp:239] Iteration 20 (10 iter/s, 1s/10 iters), loss = 1\n"
      "I0101 00:00:05.000001 1 solver.cpp:258]     Train net output #0: loss = 1 (* 1 = 1 loss)\n");
  auto [train, test] = parse(log, "two_nets");
  REQUIRE(train == crlf({"NumIters,Seconds,LearningRate,loss", "0.0,2.000001,0.1,2.31",
                         "10.0,3.000001,0.1,nan", "20.0,5.000001,0.05,1.0"}));
  REQUIRE(test == crlf({"NumIters,Seconds,LearningRate,accuracy,loss,net1/accuracy,net1/loss",
                        "0.0,1.0,0.05,0.1,2.3,0.2,2.2", "20.0,4.25,0.05,0.5,nan,0.6,1.5"}));
}

TEST_CASE("parse_log counts seconds across the new year as parse_log.py", "[authoring][parse_log]") {
  const std::string log = write_log("new_year.log",
      "I1231 23:59:58.000000 1 solver.cpp:289] Solving Net\n"
      "I1231 23:59:59.000000 1 solver.cpp:239] Iteration 0 (0 iter/s), loss = 1\n"
      "I1231 23:59:59.000000 1 solver.cpp:258]     Train net output #0: loss = 1 (* 1 = 1 loss)\n"
      "I0101 00:00:01.500000 1 solver.cpp:239] Iteration 10 (0 iter/s), loss = 0.5\n"
      "I0101 00:00:01.500000 1 solver.cpp:258]     Train net output #0: loss = 0.5 (* 1 = 0.5 loss)\n");
  auto [train, test] = parse(log, "new_year");
  REQUIRE(train == crlf({"NumIters,Seconds,LearningRate,loss", "0.0,1.0,nan,1.0", "10.0,3.5,nan,0.5"}));
  REQUIRE(test == crlf({"NumIters,Seconds,LearningRate"}));
}

TEST_CASE("parse_log reads the --metrics JSON-lines file", "[authoring][parse_log]") {
  // The shape solvers/metrics_log.cpp writes: outputs in "outputs", NaN as null.
  const std::string path = write_log("run.metrics.jsonl",
      "{\"phase\":\"test\",\"net\":0,\"iter\":0,\"seconds\":0.25,\"outputs\":{\"accuracy\":0.125,\"loss\":2.25}}\n"
      "{\"phase\":\"test\",\"net\":1,\"iter\":0,\"seconds\":0.3,\"outputs\":{\"accuracy\":0.25}}\n"
      "{\"phase\":\"train\",\"iter\":0,\"seconds\":0.5,\"lr\":0.01,\"loss\":2.4,\"outputs\":{\"loss\":2.5}}\n"
      "\n"
      "{\"phase\":\"train\",\"iter\":100,\"seconds\":1.75,\"lr\":0.005,\"loss\":null,\"outputs\":{\"loss\":null}}\n"
      "{\"phase\":\"test\",\"net\":0,\"iter\":100,\"seconds\":2,\"outputs\":{\"accuracy\":0.5,\"loss\":1e-05}}\n");
  auto [train, test] = parse(path, "metrics");
  REQUIRE(train == crlf({"NumIters,Seconds,LearningRate,loss", "0.0,0.5,0.01,2.5", "100.0,1.75,0.005,nan"}));
  REQUIRE(test == crlf({"NumIters,Seconds,LearningRate,accuracy,loss,net1/accuracy",
                        "0.0,0.25,nan,0.125,2.25,0.25", "100.0,2.0,0.005,0.5,1e-05,"}));
}

TEST_CASE("metrics records read in the nested and the flat form", "[authoring][parse_log]") {
  auto nested = au::parse_json_line(
      "{\"phase\":\"train\",\"iter\":7,\"lr\":0.1,\"loss\":9,\"outputs\":{\"loss\":1.5,\"acc\":NaN}}", "x:1");
  REQUIRE(nested.iter == 7);
  REQUIRE(*nested.lr == 0.1);
  REQUIRE(nested.outputs.size() == 2);
  REQUIRE(nested.outputs[0] == std::make_pair(std::string("loss"), 1.5));
  REQUIRE(std::isnan(nested.outputs[1].second));
  auto flat = au::parse_json_line("{\"phase\":\"test\",\"net\":2,\"iter\":3,\"accuracy\":0.5}", "x:2");
  REQUIRE(flat.net == 2);
  REQUIRE(flat.outputs == std::vector<std::pair<std::string, double>>{{"accuracy", 0.5}});
  REQUIRE_THROWS_WITH(au::parse_json_line("{\"iter\":3}", "x:3"), Catch::Contains("x:3"));
  REQUIRE_THROWS_WITH(au::parse_json_line("{\"phase\":\"train\",\"iter\":[1]}", "x:4"),
                      Catch::Contains("x:4"));
}

TEST_CASE("parse_log writes JSON tables", "[authoring][parse_log]") {
  const std::string out = temp_dir("json");
  auto r = run_tool("parse_log", testdata("authoring/lenet_train.log") + " " + out + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string test = read_file(out + "/lenet_train.log.test.json");
  REQUIRE(test.rfind("[\n {\"NumIters\": 0.0, \"Seconds\": 4.12651, \"LearningRate\": 0.00985258, "
                     "\"accuracy\": 0.1085, \"loss\": 2.33265},\n",
                     0) == 0);
  REQUIRE(std::count(test.begin(), test.end(), '{') == 5);
}

TEST_CASE("parse_log plots the run with gnuplot to PNG and SVG", "[authoring][parse_log][plot]") {
  const std::string out = temp_dir("plot");
  auto r = run_tool("parse_log", testdata("authoring/lenet_train.log") + " --plot " + out + "/run.png");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string png = read_file(out + "/run.png");
  REQUIRE(png.size() > 1000);
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  r = run_tool("parse_log", testdata("authoring/lenet_train.log") + " " + out + " --plot " + out + "/run.svg");
  REQUIRE(r.exit_code == 0);
  const std::string svg = read_file(out + "/run.svg");
  REQUIRE(svg.find("<svg") != std::string::npos);
  REQUIRE(svg.find("test accuracy") != std::string::npos);
  REQUIRE(svg.find("train loss") != std::string::npos);
  REQUIRE(svg.find("accuracy and other outputs") != std::string::npos);  // the second y axis
}
