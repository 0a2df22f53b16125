#pragma once
// Nets from testdata/ for the GPU tests: a prototxt read into a NetParameter, the
// solver tests' LeNet with its LMDB sources made absolute (so that it runs from any
// working folder), the golden solver settings, and a per-step loss recorder.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "solvers/solver.hpp"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {

inline caffe::NetParameter read_net(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  caffe::NetParameter net;
  parse_text_proto(text.str(), path, net);
  return net;
}

inline caffe::NetParameter lenet() {
  caffe::NetParameter net = read_net(testdata("solvers/lenet_train_test.prototxt"));
  for (auto& layer : *net.mutable_layer())
    if (layer.type() == "Data")
      layer.mutable_data_param()->set_source(testdata("lmdb/" + layer.data_param().source()));
  return net;
}

// The golden LeNet solver settings (SGD, momentum 0.9, decay 5e-4, "inv" policy, seed
// 1701) around `net`; average_loss 1 makes smoothed_loss() the last iteration's loss.
inline caffe::SolverParameter golden_solver(const caffe::NetParameter& net, int max_iter) {
  caffe::SolverParameter s;
  *s.mutable_net_param() = net;
  s.set_base_lr(0.01f);
  s.set_momentum(0.9f);
  s.set_weight_decay(0.0005f);
  s.set_lr_policy("inv");
  s.set_gamma(0.0001f);
  s.set_power(0.75f);
  s.set_max_iter(max_iter);
  s.set_display(0);
  s.set_average_loss(1);
  s.set_snapshot_after_train(false);
  s.set_random_seed(1701);
  return s;
}

// The loss of each of `iters` single steps.
inline std::vector<float> train_losses(Solver& solver, int iters) {
  std::vector<float> losses;
  for (int i = 0; i < iters; ++i) {
    solver.step(1);
    losses.push_back(solver.smoothed_loss());
  }
  return losses;
}

}  // namespace cortado::test
