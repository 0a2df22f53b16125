// Resuming: from our own solverstate the run ends with the same weights, bit for
// bit, as the uninterrupted run; from Caffe's golden solverstate it trains on.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "solvers/solver_params.hpp"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"
#include "workdir.hpp"

namespace fs = std::filesystem;
using namespace cortado::test;

namespace {

// The display, lr and test lines of iterations >= from, without their timing.
std::vector<std::string> loss_lines(const std::string& log, int from) {
  std::vector<std::string> out;
  std::regex line(R"(\] (Iteration (\d+).*|    (Train|Test) net output .*)\n)");
  std::regex timing(R"( \(\S+ iter/s, \S+ iters\))");
  int iter = -1;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) {
    if ((*it)[2].matched) iter = std::stoi((*it)[2]);
    if (iter >= from) out.push_back(std::regex_replace((*it)[1].str(), timing, ""));
  }
  return out;
}

}  // namespace

TEST_CASE("resume from its own snapshot ends bit-identical to the uninterrupted run",
          "[training][resume]") {
  Workdir dir("resume_exact");
  // average_loss 3 and a one-batch test every 7 iterations: the smoothed-loss window
  // and the test net's data position must come back too (three tests before the
  // snapshot leave the 2-batch test LMDB at its second batch, not at the start).
  dir.write("solver.prototxt", lenet_solver(40, 20,
                                            "display: 5\naverage_loss: 3\ntest_iter: 1\n"
                                            "test_interval: 7\n"));
  auto full = run_tool("train", "--solver solver.prototxt");
  INFO(tail(full.err));
  REQUIRE(full.exit_code == 0);
  fs::rename("lenet_iter_40.caffemodel", "full_40.caffemodel");
  fs::rename("lenet_iter_40.solverstate", "full_40.solverstate");

  auto resumed = run_tool("resume", "--solver solver.prototxt --snapshot lenet_iter_20.solverstate");
  INFO(tail(resumed.err));
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.err.find("no data cursor") == std::string::npos);
  const std::string a = read_text("full_40.caffemodel"), b = read_text("lenet_iter_40.caffemodel");
  REQUIRE(a.size() == b.size());
  CHECK(a == b);
  CHECK(read_text("full_40.solverstate").size() == read_text("lenet_iter_40.solverstate").size());
  // "loss = " display lines (smoothed over 3) and test outputs match as well.
  const auto expected = loss_lines(full.err, 20);
  CHECK(expected.size() >= 15);
  CHECK(loss_lines(resumed.err, 20) == expected);
}

TEST_CASE("resume continues from Caffe's golden LeNet solverstate", "[training][resume]") {
  Workdir dir("resume_golden");
  dir.write("solver.prototxt", lenet_solver(503, 0, "display: 1\n"));
  // The solverstate's learned_net is the relative "lenet_iter_500.caffemodel": it is
  // not in this folder, so resume finds it beside the solverstate.
  auto r = run_tool("resume", "--solver solver.prototxt --snapshot " +
                                  testdata("solvers/lenet_iter_500.solverstate"));
  INFO(tail(r.err, 30));
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("no data cursor") != std::string::npos);
  CHECK(r.err.find("Iteration 500, lr = 0.00964069") != std::string::npos);  // golden log's value
  std::smatch m;
  REQUIRE(std::regex_search(r.err, m, std::regex(R"(Iteration 500 \(.*\), loss = ([0-9.e+-]+))")));
  CHECK(std::stod(m[1]) < 1.0);  // a trained net: an untrained one starts at 2.3
  CHECK(fs::exists("lenet_iter_503.caffemodel"));
  CHECK(fs::exists("lenet_iter_503.solverstate"));
}

TEST_CASE("restore loads Caffe's golden weights and history exactly", "[training][resume]") {
  Workdir dir("restore_golden");
  caffe::SolverParameter sp;
  cortado::parse_text_proto(lenet_solver(1000, 0), "solver", sp);
  cortado::check_solver_params(sp, "solver");
  cortado::Solver solver(sp);
  solver.restore(testdata("solvers/lenet_iter_500.solverstate"));
  CHECK(solver.iter() == 500);
  caffe::SolverState state;
  cortado::read_binary_proto(testdata("solvers/lenet_iter_500.solverstate"), state);
  caffe::NetParameter model;
  cortado::read_binary_proto(testdata("solvers/lenet_iter_500.caffemodel"), model);
  REQUIRE(solver.history().size() == 8);
  for (int i = 0; i < 8; ++i) {
    const auto& h = *solver.history()[i];
    REQUIRE(h.count() == state.history(i).data_size());
    CHECK(std::equal(h.data(), h.data() + h.count(), state.history(i).data().begin()));
  }
  for (const auto& layer : model.layer())
    for (int k = 0; k < layer.blobs_size(); ++k) {
      const auto& blob = *solver.net().layer_by_name(layer.name())->blobs()[k];
      CHECK(std::equal(blob.data(), blob.data() + blob.count(), layer.blobs(k).data().begin()));
    }
}
