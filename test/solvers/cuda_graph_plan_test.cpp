// plan_cuda_graph: which training nets the GPU solver may capture in a CUDA graph, and
// from which layer. Host logic only (no device): the layers' graph_safe flags, the
// leading layers without bottoms left out, and the solver settings that forbid it.
#include "solvers/cuda_graph_plan.hpp"

#include <catch2/catch.hpp>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "util/proto_io.hpp"

using cortado::CudaGraphPlan;
using cortado::Net;
using cortado::plan_cuda_graph;

namespace {

std::unique_ptr<Net> train_net(const std::string& layers) {
  caffe::NetParameter p;
  cortado::parse_text_proto("name: 'n' state { phase: TRAIN } " + layers, "net", p);
  return std::make_unique<Net>(p);
}

const char* kInputs =
    "layer { name: 'input' type: 'Input' top: 'x' top: 'label' "
    "        input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } } ";
const char* kClassifier =
    "layer { name: 'fc' type: 'InnerProduct' bottom: 'x' top: 'score' "
    "        inner_product_param { num_output: 3 } } "
    "layer { name: 'relu' type: 'ReLU' bottom: 'score' top: 'score' } "
    "layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'score' bottom: 'label' top: 'loss' } ";

caffe::SolverParameter solver(const std::string& text = "") {
  caffe::SolverParameter s;
  cortado::parse_text_proto("base_lr: 0.1 " + text, "solver", s);
  return s;
}

}  // namespace

TEST_CASE("CUDA graph plan: the layers after the inputs are captured when all are graph-safe",
          "[solvers][cuda_graph]") {
  auto net = train_net(std::string(kInputs) + kClassifier);
  const CudaGraphPlan plan = plan_cuda_graph(*net, solver());
#ifdef CORTADO_WITH_CUDA
  CHECK(plan.capturable);
  CHECK(plan.first_layer == 1);
  CHECK(plan.reason.empty());
#else
  // Without the CUDA backend no layer has device code.
  CHECK_FALSE(plan.capturable);
  CHECK(plan.reason.find("layer 'fc' (InnerProduct) computes on the CPU") != std::string::npos);
#endif
}

TEST_CASE("CUDA graph plan: every leading layer without bottoms runs before the graph",
          "[solvers][cuda_graph]") {
  auto net =
      train_net(std::string(kInputs) +
                "layer { name: 'noise' type: 'DummyData' top: 'noise' "
                "        dummy_data_param { shape { dim: 4 dim: 6 } } } "
                "layer { name: 'sum' type: 'Eltwise' bottom: 'x' bottom: 'noise' top: 'x2' } "
                "layer { name: 'fc' type: 'InnerProduct' bottom: 'x2' top: 'score' "
                "        inner_product_param { num_output: 3 } } "
                "layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'score' "
                "        bottom: 'label' top: 'loss' } ");
  const CudaGraphPlan plan = plan_cuda_graph(*net, solver());
#ifdef CORTADO_WITH_CUDA
  REQUIRE(plan.capturable);
  CHECK(plan.first_layer == 2);
  CHECK(net->layer_names()[plan.first_layer] == "sum");
#else
  CHECK_FALSE(plan.capturable);
#endif
}

TEST_CASE("CUDA graph plan: a layer without device code keeps the net eager, named",
          "[solvers][cuda_graph]") {
  // DummyData after a layer with bottoms is not part of the eager data prefix.
  auto net = train_net(std::string(kInputs) + kClassifier +
                       "layer { name: 'noise' type: 'DummyData' top: 'noise' "
                       "        dummy_data_param { shape { dim: 4 } } } "
                       "layer { name: 'mute' type: 'Silence' bottom: 'noise' } ");
  const CudaGraphPlan plan = plan_cuda_graph(*net, solver());
  CHECK_FALSE(plan.capturable);
#ifdef CORTADO_WITH_CUDA
  CHECK(plan.reason == "layer 'noise' (DummyData) computes on the CPU");
#endif
}

TEST_CASE("CUDA graph plan: Accuracy in a TRAIN net can be captured (bad labels on the device)",
          "[solvers][cuda_graph]") {
  auto net = train_net(std::string(kInputs) + kClassifier +
                       "layer { name: 'acc' type: 'Accuracy' bottom: 'score' bottom: 'label' "
                       "        top: 'acc' } ");
  const CudaGraphPlan plan = plan_cuda_graph(*net, solver());
#ifdef CORTADO_WITH_CUDA
  CHECK(plan.capturable);
  CHECK(net->layer_by_name("acc")->graph_safe());
#else
  CHECK_FALSE(plan.capturable);
#endif
}

TEST_CASE("CUDA graph plan: iter_size > 1 and debug_info keep the net eager",
          "[solvers][cuda_graph]") {
  auto net = train_net(std::string(kInputs) + kClassifier);
  const CudaGraphPlan accumulated = plan_cuda_graph(*net, solver("iter_size: 2"));
  CHECK_FALSE(accumulated.capturable);
  CHECK(accumulated.reason == "iter_size is 2");
  const CudaGraphPlan debug = plan_cuda_graph(*net, solver("debug_info: true"));
  CHECK_FALSE(debug.capturable);
  CHECK(debug.reason.find("debug_info") != std::string::npos);
}

TEST_CASE("CUDA graph plan: a net of input layers only has nothing to capture",
          "[solvers][cuda_graph]") {
  auto net = train_net(kInputs);
  const CudaGraphPlan plan = plan_cuda_graph(*net, solver());
  CHECK_FALSE(plan.capturable);
  CHECK(plan.reason == "no layer after the data layers");
}

TEST_CASE("CUDA graph plan: graph_safe defaults to false", "[solvers][cuda_graph]") {
  auto net = train_net(std::string(kInputs) + kClassifier);
  // Input has no device code and claims nothing.
  CHECK_FALSE(net->layer_by_name("input")->graph_safe());
#ifdef CORTADO_WITH_CUDA
  CHECK(net->layer_by_name("fc")->graph_safe());
  CHECK(net->layer_by_name("loss")->graph_safe());
#endif
}
