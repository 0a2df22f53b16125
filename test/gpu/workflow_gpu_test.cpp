// The cookbook's commands with --gpu 0, as scripts/demo.sh runs them where a GPU is:
// a run stopped at a snapshot and resumed ends with the weights of an uninterrupted
// one (both --deterministic), and finetune, test and classify run on the device and
// agree with the CPU.
#include <cmath>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "gpu_test_util.hpp"
#include "support/tool_runner.hpp"
#include "test_nets.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {
namespace {

// The numbers of "name = value" in a tool's log, in order (test's output lines).
std::vector<double> logged_values(const std::string& log, const std::string& name) {
  std::vector<double> out;
  const std::regex re("\\] " + name + " = ([0-9.e+-]+)");
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

// Every number in a text (classify's JSON lines), in order.
std::vector<double> numbers(const std::string& text) {
  std::vector<double> out;
  const std::regex re("-?[0-9]+(\\.[0-9]+)?(e[+-]?[0-9]+)?");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out.push_back(std::stod(it->str()));
  return out;
}

// The largest |a - b| over the blobs of two caffemodels with the same layers.
double max_weight_difference(const std::string& a_path, const std::string& b_path) {
  caffe::NetParameter a, b;
  read_binary_proto(a_path, a);
  read_binary_proto(b_path, b);
  REQUIRE(a.layer_size() == b.layer_size());
  double worst = 0;
  for (int l = 0; l < a.layer_size(); ++l) {
    REQUIRE(a.layer(l).blobs_size() == b.layer(l).blobs_size());
    for (int k = 0; k < a.layer(l).blobs_size(); ++k) {
      const auto& x = a.layer(l).blobs(k);
      const auto& y = b.layer(l).blobs(k);
      REQUIRE(x.data_size() == y.data_size());
      for (int i = 0; i < x.data_size(); ++i)
        worst = std::fmax(worst, std::fabs(double(x.data(i)) - y.data(i)));
    }
  }
  return worst;
}

caffe::SolverParameter lenet_solver_file(const std::string& dir, const std::string& prefix) {
  caffe::SolverParameter s = golden_solver(lenet(), 20);
  s.clear_net_param();
  s.set_net(dir + "/lenet.prototxt");
  s.set_display(10);
  s.set_snapshot(10);
  s.set_snapshot_prefix(dir + "/" + prefix);
  return s;
}

}  // namespace

TEST_CASE("resume --gpu 0 ends a stopped GPU run with the uninterrupted run's weights",
          "[gpu][training][tools]") {
  SKIP_WITHOUT_GPU();
  const std::string dir = temp_dir("resume_gpu");
  write_text_proto(dir + "/lenet.prototxt", lenet());
  write_text_proto(dir + "/straight.prototxt", lenet_solver_file(dir, "straight"));
  write_text_proto(dir + "/resumed.prototxt", lenet_solver_file(dir, "resumed"));
  const auto straight =
      run_tool("train", "--solver " + dir + "/straight.prototxt --gpu 0 --deterministic");
  INFO(straight.err);
  REQUIRE(straight.exit_code == 0);
  const auto resumed =
      run_tool("resume", "--solver " + dir + "/resumed.prototxt --snapshot " + dir +
                             "/straight_iter_10.solverstate --gpu 0 " + "--deterministic");
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.err.find("Use GPU with device ID 0") != std::string::npos);
  // Same kernels, same algorithms, the data position restored: the same bits.
  CHECK(max_weight_difference(dir + "/straight_iter_20.caffemodel",
                              dir + "/resumed_iter_20.caffemodel") == 0.0);
}

TEST_CASE("finetune, test and classify with --gpu 0 run on the GPU and agree with the CPU",
          "[gpu][training][tools]") {
  SKIP_WITHOUT_GPU();
  const std::string dir = temp_dir("workflow_gpu");
  write_text_proto(dir + "/lenet.prototxt", lenet());
  write_text_proto(dir + "/solver.prototxt", lenet_solver_file(dir, "lenet"));
  const auto trained = run_tool("train", "--solver " + dir + "/solver.prototxt --gpu 0");
  INFO(trained.err);
  REQUIRE(trained.exit_code == 0);
  const std::string weights = dir + "/lenet_iter_20.caffemodel";

  SECTION("finetune into a renamed last layer") {
    caffe::NetParameter net = lenet();
    for (auto& layer : *net.mutable_layer())
      if (layer.name() == "ip2") layer.set_name("ip2_ft");
    write_text_proto(dir + "/ft.prototxt", net);
    caffe::SolverParameter s = lenet_solver_file(dir, "ft");
    s.set_net(dir + "/ft.prototxt");
    write_text_proto(dir + "/ft_solver.prototxt", s);
    const auto r = run_tool(
        "finetune", "--solver " + dir + "/ft_solver.prototxt --weights " + weights + " --gpu 0");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("new: ip2_ft\n") != std::string::npos);
    CHECK(r.err.find("Use GPU with device ID 0") != std::string::npos);
    CHECK(std::filesystem::exists(dir + "/ft_iter_20.caffemodel"));
  }

  SECTION("test: the GPU's accuracy and loss are the CPU's") {
    const std::string args =
        "--model " + dir + "/lenet.prototxt --weights " + weights + " --iterations 2";
    const auto cpu = run_tool("test", args);
    const auto gpu = run_tool("test", args + " --gpu 0");
    INFO(cpu.err << "\n---- GPU:\n" << gpu.err);
    REQUIRE(cpu.exit_code == 0);
    REQUIRE(gpu.exit_code == 0);
    const auto acc_cpu = logged_values(cpu.err, "accuracy"),
               acc_gpu = logged_values(gpu.err, "accuracy");
    const auto loss_cpu = logged_values(cpu.err, "loss"), loss_gpu = logged_values(gpu.err, "loss");
    REQUIRE(!acc_cpu.empty());
    REQUIRE(acc_cpu.size() == acc_gpu.size());
    REQUIRE(!loss_cpu.empty());
    REQUIRE(loss_cpu.size() == loss_gpu.size());
    // One image of the 200 may flip where two scores are within rounding of each other.
    CHECK(std::fabs(acc_gpu.back() - acc_cpu.back()) <= 0.0051);
    CHECK(std::fabs(loss_gpu.back() - loss_cpu.back()) <= 1e-3 * loss_cpu.back());
  }

  SECTION("classify: the same top-3 labels and probabilities") {
    const std::string args = "--model " + testdata("nets/lenet_deploy.prototxt") + " --weights " +
                             weights + " --gray --scale 0.00390625 --top-k 3 --json " +
                             testdata("images/ankle_boot.0.png") + " " +
                             testdata("images/bag.18.png");
    const auto cpu = run_tool("classify", args);
    const auto gpu = run_tool("classify", args + " --gpu 0");
    INFO(cpu.err << "\n---- GPU:\n" << gpu.err);
    REQUIRE(cpu.exit_code == 0);
    REQUIRE(gpu.exit_code == 0);
    const auto a = numbers(cpu.out), b = numbers(gpu.out);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      INFO("value " << i << " of classify's output:\n" << cpu.out << "---- GPU:\n" << gpu.out);
      CHECK(std::fabs(a[i] - b[i]) <= 1e-4);
    }
  }
}

}  // namespace cortado::test
