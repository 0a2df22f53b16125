// train on LeNet: the loss goes down, and the log says so in Caffe's words and
// order (what Caffe's parse_log.py and our parse_log read).
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "support/tool_runner.hpp"
#include "workdir.hpp"

using namespace cortado::test;

namespace {

std::vector<double> train_losses(const std::string& jsonl) {
  std::vector<double> out;
  std::regex line(R"(\{"phase":"train","iter":\d+,"seconds":[^,]+,"lr":[^,]+,"loss":([^,]+),)");
  for (std::sregex_iterator it(jsonl.begin(), jsonl.end(), line), end; it != end; ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

// Each pattern must match a line after the previous pattern's line.
void check_in_order(const std::string& log, const std::vector<std::string>& patterns) {
  size_t pos = 0;
  for (const auto& p : patterns) {
    std::smatch m;
    std::string rest = log.substr(pos);
    INFO("looking for: " << p);
    REQUIRE(std::regex_search(rest, m, std::regex(p)));
    pos += static_cast<size_t>(m.position(0) + m.length(0));
  }
}

}  // namespace

TEST_CASE("train runs LeNet for 100 iterations and the loss goes down", "[training][train]") {
  Workdir dir("train_lenet");
  dir.write("solver.prototxt",
            lenet_solver(100, 50, "display: 20\ntest_iter: 2\ntest_interval: 50\n"));
  auto r = run_tool("train", "--solver solver.prototxt --metrics m.jsonl");
  INFO(tail(r.err));
  REQUIRE(r.exit_code == 0);
  const auto losses = train_losses(read_text("m.jsonl"));
  REQUIRE(losses.size() == 5);  // iterations 0, 20, 40, 60, 80
  CHECK(losses.front() > 2.0);
  CHECK(losses.back() < 0.8);
  CHECK(losses.back() < 0.4 * losses.front());
  for (const char* f : {"lenet_iter_50.caffemodel", "lenet_iter_50.solverstate",
                        "lenet_iter_100.caffemodel", "lenet_iter_100.solverstate"})
    CHECK(std::filesystem::exists(f));

  const std::string num = R"([-+0-9.e]+)";
  check_in_order(r.err, {
      R"(Solving LeNet)",
      R"(Learning Rate Policy: inv)",
      R"(\] Iteration 0, Testing net \(#0\))",
      R"(\]     Test net output #0: accuracy = )" + num,
      R"(\]     Test net output #1: loss = )" + num + R"( \(\* 1 = )" + num + R"( loss\))",
      R"(\] Iteration 0 \()" + num + R"( iter/s, )" + num + R"(s/20 iters\), loss = )" + num,
      R"(\]     Train net output #0: loss = )" + num + R"( \(\* 1 = )" + num + R"( loss\))",
      R"(\] Iteration 0, lr = 0\.01\n)",
      R"(\] Iteration 20, lr = 0\.00998503\n)",
      R"(\] Snapshotting to binary proto file lenet_iter_50\.caffemodel\n)",
      R"(\] Snapshotting solver state to binary proto file lenet_iter_50\.solverstate\n)",
      R"(\] Iteration 50, Testing net \(#0\))",
      R"(\] Snapshotting to binary proto file lenet_iter_100\.caffemodel)",
      R"(\] Iteration 100, loss = )" + num,
      R"(\] Iteration 100, Testing net \(#0\))",
      R"(\] Optimization Done\.)",
  });
  // glog's line format, as Caffe's extract_seconds.py parses it.
  CHECK(std::regex_search(r.err, std::regex(R"(\nI\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [a-z_]+\.cpp:\d+\] Solving LeNet)")));
}

TEST_CASE("train passes --stage and --level to the train net's state", "[training][train]") {
  Workdir dir("train_stage");
  std::string net = read_text("lenet_train_test.prototxt");
  // A dropout on ip1 (before ip2 reads it) that only the stage "extra" at level >= 2 gets.
  net.insert(net.find("layer {\n  name: \"ip2\""),
             R"(layer { name: "drop_extra" type: "Dropout" bottom: "ip1" top: "ip1"
                     include { phase: TRAIN stage: "extra" min_level: 2 } }
)");
  dir.write("staged.prototxt", net);
  dir.write("solver.prototxt", lenet_solver(1, 0, "display: 1", "staged.prototxt"));
  auto plain = run_tool("train", "--solver solver.prototxt");
  REQUIRE(plain.exit_code == 0);
  CHECK(plain.err.find("Creating layer drop_extra") == std::string::npos);
  auto low = run_tool("train", "--solver solver.prototxt --stage extra --level 1");
  REQUIRE(low.exit_code == 0);
  CHECK(low.err.find("Creating layer drop_extra") == std::string::npos);
  auto staged = run_tool("train", "-solver solver.prototxt -stage=other,extra -level 2");
  INFO(tail(staged.err));
  REQUIRE(staged.exit_code == 0);
  CHECK(staged.err.find("Creating layer drop_extra") != std::string::npos);
}
