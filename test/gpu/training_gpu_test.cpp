// Training end to end on the GPU: LeNet trained on the device and on the host from
// the same seed (so the same initial weights and batches) must give nearly the
// same losses over the first iterations; and the train tool runs with --gpu 0.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "caffe.pb.h"
#include "gpu_test_util.hpp"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "support/tool_runner.hpp"
#include "test_nets.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {
namespace {}  // namespace

TEST_CASE("LeNet trained on the GPU follows the CPU run's losses", "[gpu][training]") {
  SKIP_WITHOUT_GPU();
  constexpr int kIters = 10;
  Solver cpu(golden_solver(lenet(), 100));
  const std::vector<float> cpu_losses = train_losses(cpu, kIters);
  Solver gpu(golden_solver(lenet(), 100));
  gpu.set_mode(Mode::gpu);
  const std::vector<float> gpu_losses = train_losses(gpu, kIters);
  for (int i = 0; i < kIters; ++i) {
    INFO("iteration " << i << ": CPU loss " << cpu_losses[i] << ", GPU loss " << gpu_losses[i]);
    REQUIRE(std::isfinite(gpu_losses[i]));
    // The first loss sees identical weights; later ones drift by the rounding of
    // differently ordered sums (cuDNN, cuBLAS), which momentum carries forward.
    CHECK(std::fabs(gpu_losses[i] - cpu_losses[i]) <= (i == 0 ? 1e-4f : 2e-3f) * cpu_losses[i]);
  }
  CHECK(gpu_losses.back() < gpu_losses.front());
  // The weights after the same updates: the relative L2 distance stays small.
  const auto& pc = cpu.net().learnable_params();
  const auto& pg = gpu.net().learnable_params();
  REQUIRE(pc.size() == pg.size());
  for (size_t p = 0; p < pc.size(); ++p) {
    double diff = 0, norm = 0;
    for (int i = 0; i < pc[p]->count(); ++i) {
      const double d = pg[p]->data()[i] - pc[p]->data()[i];
      diff += d * d;
      norm += double(pc[p]->data()[i]) * pc[p]->data()[i];
    }
    INFO("learnable param " << p << " (" << pc[p]->shape_string() << ")");
    CHECK(std::sqrt(diff) <= 1e-3 * std::sqrt(norm) + 1e-6);
  }
}

TEST_CASE("train --gpu 0 trains LeNet on the GPU", "[gpu][training][tools]") {
  SKIP_WITHOUT_GPU();
  const std::string dir = temp_dir("train_gpu");
  caffe::SolverParameter s = golden_solver(lenet(), 100);
  s.clear_net_param();
  s.set_net(dir + "/lenet.prototxt");
  write_text_proto(dir + "/lenet.prototxt", lenet());
  s.set_max_iter(20);
  s.set_display(10);
  s.set_average_loss(10);
  s.add_test_iter(2);
  s.set_test_interval(20);
  s.set_snapshot_after_train(true);
  s.set_snapshot_prefix(dir + "/lenet");
  write_text_proto(dir + "/solver.prototxt", s);
  const auto r = run_tool("train", "--solver " + dir + "/solver.prototxt --gpu 0");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("Use GPU with device ID 0") != std::string::npos);
  CHECK(std::regex_search(r.err, std::regex(R"(GPU mode: .*net 'LeNet' \(TRAIN\))")));
  CHECK(std::regex_search(r.err, std::regex(R"(Iteration 20, loss = [0-9.e+-]+)")));
  CHECK(std::regex_search(r.err, std::regex(R"(Test net output #0: accuracy = [0-9.e+-]+)")));
  CHECK(r.err.find("Optimization Done.") != std::string::npos);
  CHECK(std::filesystem::exists(dir + "/lenet_iter_20.caffemodel"));
  CHECK(std::filesystem::exists(dir + "/lenet_iter_20.solverstate"));
}

}  // namespace cortado::test
