// Bad inputs to netgen, draw_net and parse_log: each a one-line error naming
// the file (and line and column where there is one), exit code 1.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/tool_runner.hpp"
#include "util/atomic_file.hpp"

using cortado::test::run_tool;
using cortado::test::temp_dir;
using cortado::test::testdata;
namespace fs = std::filesystem;

namespace {

std::string write_spec(const std::string& name, const std::string& text) {
  const std::string path = temp_dir("spec_errors") + "/" + name;
  cortado::write_file_atomic(path, text);
  return path;
}

// Runs netgen on a spec and returns its one error line.
std::string spec_error(const std::string& name, const std::string& text) {
  const std::string path = write_spec(name, text);
  auto r = run_tool("netgen", "spec " + path);
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  REQUIRE(r.out.empty());
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  return r.err;
}

void contains(const std::string& text, const std::string& part) {
  INFO(text);
  REQUIRE(text.find(part) != std::string::npos);
}

const char* kInput = "data = Input(shape=dict(dim=[1, 3, 8, 8]))\n";

}  // namespace

TEST_CASE("netgen spec reports a syntax error with file, line and column", "[authoring][errors]") {
  std::string e = spec_error("syntax.spec", std::string(kInput) + "conv1 = Convolution(data kernel_size=3)\n");
  contains(e, "syntax.spec:2:26:");
  contains(e, "expected ')'");
  e = spec_error("unclosed.spec", std::string(kInput) + "\nconv1 = Convolution(data, kernel_size=3\n");
  contains(e, "unclosed.spec:3:20: this bracket is never closed");
  e = spec_error("string.spec", "data = Input(shape=dict(dim=[1]), name=\"data)\n");
  contains(e, "string.spec:1:40: this string is never closed");
}

TEST_CASE("netgen spec reports an unknown layer type with the closest names", "[authoring][errors]") {
  std::string e = spec_error("type.spec", std::string(kInput) + "conv1 = L.Convolutoin(data, num_output=2)\n");
  contains(e, "type.spec:2:9:");
  contains(e, "unknown layer type 'Convolutoin'; did you mean 'Convolution'?");
}

TEST_CASE("netgen spec reports an unknown keyword with the closest field names", "[authoring][errors]") {
  std::string e = spec_error("kw.spec", std::string(kInput) + "conv1 = Convolution(data, kernal_size=3)\n");
  contains(e, "kw.spec:2:27:");
  contains(e, "unknown keyword 'kernal_size' of a Convolution layer");
  contains(e, "did you mean 'kernel_size'");
  e = spec_error("nested.spec", std::string(kInput) +
                                    "c = Convolution(data, kernel_size=3, weight_filler=dict(typ=\"xavier\"))\n");
  contains(e, "nested.spec:2:57:");
  contains(e, "'typ' is not a field of FillerParameter");
  contains(e, "did you mean 'type'");
}

TEST_CASE("netgen spec reports an ambiguous keyword", "[authoring][errors]") {
  std::string e = spec_error("ambiguous.spec", "d, l = Data(source=\"x\", batch_size=2, scale=0.5, ntop=2)\n");
  contains(e, "ambiguous.spec:1:39:");
  contains(e, "'scale' of a Data layer is ambiguous");
  contains(e, "transform_param=dict(scale=...)");
}

TEST_CASE("netgen spec reports a bottom never defined", "[authoring][errors]") {
  std::string e = spec_error("bottom.spec", std::string(kInput) + "conv1 = Convolution(dta, num_output=2)\n");
  contains(e, "bottom.spec:2:21:");
  contains(e, "'dta' is not defined");
  contains(e, "did you mean 'data'");
  e = spec_error("quoted.spec", std::string(kInput) + "conv1 = Convolution(\"conv0/x\", num_output=2)\n");
  contains(e, "quoted.spec:2:21: no top named 'conv0/x'");
}

TEST_CASE("netgen spec reports bad values, a redefined top and an empty spec", "[authoring][errors]") {
  contains(spec_error("enum.spec", std::string(kInput) + "p = Pooling(data, pool=MAXX)\n"),
           "enum.spec:2:24: 'MAXX' is not a value of caffe.PoolingParameter.PoolMethod");
  contains(spec_error("int.spec", std::string(kInput) + "p = Pooling(data, kernel_size=2.5)\n"),
           "int.spec:2:31: 'kernel_size' takes an integer, got the number 2.5");
  contains(spec_error("ntop.spec", "a, b = Data(source=\"x\", batch_size=1)\n"),
           "ntop.spec:1:8: the Data call makes 1 top(s) but is assigned to 2 name(s)");
  contains(spec_error("twice.spec", std::string(kInput) + "data = Input(shape=dict(dim=[1]))\n"),
           "twice.spec:2:1: 'data' is already defined");
  contains(spec_error("empty.spec", "# nothing here\nbatch = 64\n"), "empty.spec: defines no layers");
  // Deep nesting: an error at the 201st level, not a stack overflow.
  contains(spec_error("parens.spec",
                      "x = " + std::string(5000, '(') + "1" + std::string(5000, ')') + "\n"),
           "parens.spec:1:205: expression nested more than 200 deep");
  contains(spec_error("signs.spec", "x = " + std::string(10000, '-') + "1\n"),
           "signs.spec:1:205: expression nested more than 200 deep");
  contains(spec_error("lists.spec",
                      "x = " + std::string(3000, '[') + "1" + std::string(3000, ']') + "\n"),
           "nested more than 200 deep");
}

TEST_CASE("tools report an unwritable output path", "[authoring][errors]") {
  const std::string nowhere = temp_dir("unwritable") + "/missing-folder/out";
  auto r = run_tool("netgen", "lenet -o " + nowhere + ".prototxt");
  REQUIRE(r.exit_code == 1);
  contains(r.err, nowhere + ".prototxt: cannot write");
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  r = run_tool("draw_net", testdata("authoring/lenet_train_test.prototxt") + " " + nowhere + ".png");
  REQUIRE(r.exit_code == 1);
  contains(r.err, nowhere + ".png: cannot write");
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  r = run_tool("parse_log", testdata("authoring/lenet_train.log") + " " + nowhere);
  REQUIRE(r.exit_code == 1);
  contains(r.err, nowhere + ": is not a folder");
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  r = run_tool("parse_log", testdata("authoring/lenet_train.log") + " --plot " + nowhere + ".png");
  REQUIRE(r.exit_code == 1);
  contains(r.err, nowhere + ".png: cannot write");
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  // Two outputs, the second unwritable: the first is not left behind either.
  const std::string dir = temp_dir("unwritable_pairs");
  r = run_tool("netgen",
               "lenet --out-train " + dir + "/train.prototxt --out-test " + nowhere + ".prototxt");
  REQUIRE(r.exit_code == 1);
  contains(r.err, nowhere + ".prototxt: cannot write");
  CHECK_FALSE(fs::exists(dir + "/train.prototxt"));
  r = run_tool("parse_log",
               testdata("authoring/lenet_train.log") + " " + dir + " --plot " + nowhere + ".png");
  REQUIRE(r.exit_code == 1);
  contains(r.err, nowhere + ".png: cannot write");
  CHECK(fs::is_empty(dir));
  r = run_tool("parse_log",
               testdata("authoring/lenet_train.log") + " " + dir + " --plot " + dir + "/chart.jpg");
  REQUIRE(r.exit_code == 1);
  contains(r.err, "--plot writes .png, .svg or .pdf");
  CHECK(fs::is_empty(dir));
}

TEST_CASE("parse_log reports a log with no iterations", "[authoring][errors]") {
  const std::string path = write_spec("empty.log",
                                      "I1127 13:47:07.477383 14312 caffe.cpp:197] Use CPU.\n"
                                      "I1127 13:47:07.499442 14312 solver.cpp:289] Solving LeNet\n");
  auto r = run_tool("parse_log", path + " " + temp_dir("empty_log_out"));
  REQUIRE(r.exit_code == 1);
  contains(r.err, path + ": no 'Iteration N' line");
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  const std::string bad = write_spec("bad.jsonl", "{\"phase\":\"train\",\"iter\":1,\"loss\":0.5}\n{\"phase\":\n");
  r = run_tool("parse_log", bad + " " + temp_dir("bad_metrics_out"));
  REQUIRE(r.exit_code == 1);
  contains(r.err, bad + ":2:");
}

TEST_CASE("draw_net reports a bad net and a bad format", "[authoring][errors]") {
  const std::string net = write_spec("bad.prototxt", "name: \"x\"\nlayer { name: \"a\" type: \"Input\" tpo: \"a\" }\n");
  auto r = run_tool("draw_net", net + " " + temp_dir("draw_bad") + "/x.png");
  REQUIRE(r.exit_code == 1);
  contains(r.err, net + ":2:");
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  r = run_tool("draw_net", testdata("authoring/lenet_train_test.prototxt") + " " + temp_dir("draw_fmt") + "/x.bmpx");
  REQUIRE(r.exit_code == 1);
  contains(r.err, "draw_net writes .png, .svg, .pdf or .dot");
}
