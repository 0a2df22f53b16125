// A run whose loss becomes NaN stops with an error naming the iteration and the
// first non-finite blob, and the last snapshot written before it stays intact.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "caffe.pb.h"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"
#include "workdir.hpp"

using namespace cortado::test;

TEST_CASE("train stops on a non-finite loss and keeps the last good snapshot",
          "[training][nonfinite]") {
  Workdir dir("nonfinite");
  // "step" multiplies the rate by 1e30 from iteration 2 on: the weights explode.
  std::string solver = lenet_solver(20, 1, "display: 1\nstepsize: 2");
  solver.replace(solver.find("\"inv\""), 5, "\"step\"");
  solver.replace(solver.find("gamma: 0.0001"), 13, "gamma: 1e30");
  solver.replace(solver.find("power: 0.75\n"), 12, "");
  dir.write("s.prototxt", solver);
  auto r = run_tool("train", "--solver s.prototxt");
  INFO(tail(r.err));
  REQUIRE(r.exit_code == 1);
  const std::string last = tail(r.err, 1);
  CHECK_THAT(last, Catch::StartsWith("train: error: iteration ") &&
                       (Catch::Contains("first non-finite blob: ") ||
                        Catch::Contains("weights are not finite")));
  CHECK(std::filesystem::exists("lenet_iter_2.caffemodel"));
  // Every snapshot that was written holds finite weights.
  for (int it = 1; it <= 20; ++it) {
    const std::string f = "lenet_iter_" + std::to_string(it) + ".caffemodel";
    if (!std::filesystem::exists(f)) continue;
    caffe::NetParameter model;
    cortado::read_binary_proto(f, model);
    int non_finite = 0;
    for (const auto& l : model.layer())
      for (const auto& b : l.blobs())
        for (float v : b.data()) non_finite += !std::isfinite(v);
    INFO(f);
    CHECK(non_finite == 0);
  }
}
