// --deterministic and --tf32 on the tools that run a net. On the CPU (these solvers
// say solver_mode: CPU and no --gpu is given) they are accepted, change nothing,
// and one line says they only affect the GPU.
#include <catch2/catch.hpp>
#include <regex>

#include "support/tool_runner.hpp"
#include "workdir.hpp"

using namespace cortado::test;

namespace {

// The solver's loss lines, which must not change with the flags on the CPU.
std::vector<std::string> loss_lines(const std::string& log) {
  std::vector<std::string> out;
  std::regex iter_loss(R"(\] Iteration (\d+) \([^\n]*\), loss = ([^\n]+))");
  for (std::sregex_iterator it(log.begin(), log.end(), iter_loss), end; it != end; ++it)
    out.push_back((*it)[1].str() + " " + (*it)[2].str());
  return out;
}

const std::string kBoth = "--deterministic and --tf32 only affect GPU runs; this run uses the CPU";
const std::string kTf32 = "--tf32 only affects GPU runs; this run uses the CPU";
const std::string kDeterministic = "--deterministic only affects GPU runs; this run uses the CPU";

}  // namespace

TEST_CASE("train, resume and finetune accept --deterministic and --tf32 on the CPU",
          "[training][gpu_flags]") {
  Workdir dir("gpu_flags_train");
  dir.write("solver.prototxt", lenet_solver(4, 2, "display: 1\n"));
  const auto plain = run_tool("train", "--solver solver.prototxt");
  REQUIRE(plain.exit_code == 0);
  const auto both = run_tool("train", "--solver solver.prototxt --deterministic --tf32");
  INFO(tail(both.err));
  REQUIRE(both.exit_code == 0);
  CHECK_THAT(both.err, Catch::Contains(kBoth));
  // The CPU computes exactly as without the flags.
  CHECK(loss_lines(both.err) == loss_lines(plain.err));
  CHECK(loss_lines(both.err).size() == 4);
  CHECK_THAT(plain.err, !Catch::Contains("only affect"));

  const auto resumed =
      run_tool("resume", "--solver solver.prototxt --snapshot lenet_iter_2.solverstate -tf32");
  INFO(tail(resumed.err));
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains(kTf32));

  const auto tuned = run_tool("finetune",
                              "--solver solver.prototxt --weights lenet_iter_4.caffemodel "
                              "--deterministic");
  INFO(tail(tuned.err));
  CHECK(tuned.exit_code == 0);
  CHECK_THAT(tuned.err, Catch::Contains(kDeterministic));
}

TEST_CASE("test and time accept --deterministic and --tf32 on the CPU", "[training][gpu_flags]") {
  Workdir dir("gpu_flags_test_time");
  const std::string weights = testdata("solvers/lenet_iter_500.caffemodel");
  const auto scored = run_tool("test", "--model lenet_train_test.prototxt --weights " + weights +
                                           " --iterations 1 --deterministic --tf32");
  INFO(tail(scored.err));
  CHECK(scored.exit_code == 0);
  CHECK_THAT(scored.err, Catch::Contains(kBoth));
  const auto timed = run_tool("time", "--model lenet_train_test.prototxt --iterations 1 --tf32");
  INFO(tail(timed.err));
  CHECK(timed.exit_code == 0);
  CHECK_THAT(timed.err, Catch::Contains(kTf32));
  const auto limited = run_tool(
      "time", "--model lenet_train_test.prototxt --iterations 1 --gpu-workspace 64 --tf32");
  INFO(tail(limited.err));
  CHECK(limited.exit_code == 0);
  CHECK_THAT(
      limited.err,
      Catch::Contains("--tf32 and --gpu-workspace only affect GPU runs; this run uses the CPU"));
  const auto negative =
      run_tool("time", "--model lenet_train_test.prototxt --iterations 1 --gpu-workspace -1");
  CHECK(negative.exit_code != 0);
  CHECK_THAT(negative.err, Catch::Contains("--gpu-workspace"));
}
