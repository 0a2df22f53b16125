// The --metrics JSON lines: one object per display and per test.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "solvers/metrics_log.hpp"
#include "support/tool_runner.hpp"

TEST_CASE("metrics log writes one JSON object per line", "[solvers][metrics]") {
  const std::string path = cortado::test::temp_dir("metrics") + "/m.jsonl";
  {
    cortado::MetricsLog log(path, false);
    log.train(100, 1.5, 0.01f, 0.25f, {{"loss", 0.25f}});
    log.test(0, 250, 2.0, {{"accuracy", 0.5f}, {"prob[1]", std::nanf("")}});
  }
  {
    cortado::MetricsLog log(path, true);  // resume appends
    log.train(300, 3.0, 0.005f, 0.125f, {});
  }
  std::ifstream in(path);
  std::string a, b, c, d;
  std::getline(in, a);
  std::getline(in, b);
  std::getline(in, c);
  CHECK_FALSE(std::getline(in, d));
  CHECK(a == R"({"phase":"train","iter":100,"seconds":1.5,"lr":0.01,"loss":0.25,"outputs":{"loss":0.25}})");
  CHECK(b == R"({"phase":"test","net":0,"iter":250,"seconds":2,"outputs":{"accuracy":0.5,"prob[1]":null}})");
  CHECK(c == R"({"phase":"train","iter":300,"seconds":3,"lr":0.005,"loss":0.125,"outputs":{}})");
  CHECK(cortado::output_value_name("prob", 1, 3) == "prob[1]");
  CHECK(cortado::output_value_name("loss", 0, 1) == "loss");
}
