// The recurrent layers on the GPU (LSTMUnit, LSTM, RNN): each case compared with the
// CPU layer and gradient-checked on the device (test/gpu/layer_parity.hpp), the state
// carried from one batch to the next (also across a change of mode), the CPU's errors,
// and a training step through LSTM and RNN replayed from a CUDA graph. Sizes are tiny
// (T 3, N 2, H 3): the emulator runs every launch on the CPU.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"
#include "layers/registry.hpp"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "test_nets.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/train_graph.hpp"
#endif

namespace cortado::test {
namespace {

// T = 3 steps of N = 2 streams, time-major. kRestart: both streams start a sequence at
// the first step, and stream 1 starts another at its second step. kContinue: stream 0
// continues the state it was given and restarts at its second step; stream 1 starts
// afresh despite the state it was given, then continues.
const std::vector<float> kRestart = {0, 0, 1, 0, 1, 1};
const std::vector<float> kContinue = {1, 0, 0, 1, 1, 1};

std::string recurrent(const std::string& type, bool expose) {
  return "name: 'rec' type: '" + type + "' recurrent_param { num_output: 3" +
         (expose ? " expose_hidden: true" : "") + " }";
}

// x (3 x 2 x 3), cont, [x_static (2 x 2)], [the initial state, 1 x 2 x 3 each].
LayerCase recurrent_case(const std::string& type, bool use_static, bool expose) {
  LayerCase c;
  c.layer = recurrent(type, expose) + " top: 'y'";
  if (expose) c.layer += type == "LSTM" ? " top: 'h_T' top: 'c_T'" : " top: 'h_T'";
  c.bottoms = {{3, 2, 3}, {3, 2}};
  if (use_static) c.bottoms.push_back({2, 2});
  const int states = type == "LSTM" ? 2 : 1;
  if (expose)
    for (int k = 0; k < states; ++k) c.bottoms.push_back({1, 2, 3});
  // The learnable blobs' fillers default to zeros.
  c.blob_uniform_lo = -0.5f;
  c.blob_uniform_hi = 0.5f;
  // Exposed, the initial state is a bottom, which stream 0 continues.
  // Otherwise it is the carried state, which every forward of the numeric check
  // changes: cont 0 at the first step makes those forwards independent of it.
  c.fixed_bottoms = {{1, expose ? kContinue : kRestart}};
  // The final-state tops take no gradient (as Caffe: recurrent.hpp), so a numeric check
  // over all tops cannot agree; backward is held to the CPU's (zeros for the state).
  c.gradient_check = !expose;
  return c;
}

void check_recurrent(const std::string& type) {
  for (bool use_static : {false, true})
    for (bool expose : {false, true}) {
      INFO(type << ", static input " << use_static << ", expose_hidden " << expose);
      check_layer_parity(recurrent_case(type, use_static, expose));
    }
}

std::vector<float> values(const float* p, int n) { return {p, p + n}; }

// What one layer gives for three batches of `type`, the first run in mode `first`, the
// rest in `second`: the first batch's top, the second's (which continues the first's
// stream 0's sequence), the second's gradients for x and every
// learnable blob, and the top of a third batch with one stream (a fresh start).
std::vector<std::vector<float>> three_batches(const std::string& type, Mode first, Mode second) {
  caffe::LayerParameter p;
  parse_text_proto(recurrent(type, false), "layer", p);
  auto layer = create_layer(p);
  Blob x({3, 2, 3}), cont({3, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 11);
  std::copy(kRestart.begin(), kRestart.end(), cont.mutable_data());
  layer->setup({&x, &cont}, {&y});
  unsigned seed = 20;
  for (auto& b : layer->blobs()) fill_uniform(*b, -0.5f, 0.5f, seed++);
  std::vector<std::vector<float>> out;

  layer->set_mode(first);
  layer->forward({&x, &cont}, {&y});
  out.push_back(values(y.data(), y.count()));

  layer->set_mode(second);
  fill_gaussian(x, 0.f, 1.f, 12);
  std::copy(kContinue.begin(), kContinue.end(), cont.mutable_data());
  layer->forward({&x, &cont}, {&y});
  out.push_back(values(y.data(), y.count()));
  Blob noise(y.shape());  // the top's diff
  fill_gaussian(noise, 0.f, 1.f, 13);
  std::copy(noise.data(), noise.data() + noise.count(), y.mutable_diff());
  for (auto& b : layer->blobs()) b->set_diff(0.f);
  layer->backward({&y}, {true, false}, {&x, &cont});
  out.push_back(values(x.diff(), x.count()));
  for (auto& b : layer->blobs()) out.push_back(values(b->diff(), b->count()));

  Blob x1({3, 1, 3}), cont1({3, 1});
  fill_gaussian(x1, 0.f, 1.f, 14);
  cont1.set_data(1.f);
  layer->forward({&x1, &cont1}, {&y});
  out.push_back(values(y.data(), y.count()));
  return out;
}

void check_carried_state(const std::string& type) {
  const auto cpu = three_batches(type, Mode::cpu, Mode::cpu);
  const auto cpu_then_gpu = three_batches(type, Mode::cpu, Mode::gpu);
  const auto gpu_then_cpu = three_batches(type, Mode::gpu, Mode::cpu);
  const auto gpu = three_batches(type, Mode::gpu, Mode::gpu);
  for (const auto* run : {&gpu, &cpu_then_gpu, &gpu_then_cpu}) {
    INFO((run == &gpu ? "GPU" : run == &cpu_then_gpu ? "CPU, then GPU" : "GPU, then CPU"));
    REQUIRE(run->size() == cpu.size());
    for (size_t i = 0; i < cpu.size(); ++i) {
      INFO("result " << i);
      REQUIRE(cpu[i].size() == (*run)[i].size());
      require_close((*run)[i].data(), cpu[i].data(), int(cpu[i].size()), 1e-4f);
    }
  }
}

// The second batch of three_batches, run from a fresh layer (zero initial state).
std::vector<float> second_batch_alone(const std::string& type) {
  caffe::LayerParameter p;
  parse_text_proto(recurrent(type, false), "layer", p);
  auto layer = create_layer(p);
  Blob x({3, 2, 3}), cont({3, 2}), y;
  std::copy(kContinue.begin(), kContinue.end(), cont.mutable_data());
  layer->setup({&x, &cont}, {&y});
  unsigned seed = 20;
  for (auto& b : layer->blobs()) fill_uniform(*b, -0.5f, 0.5f, seed++);
  fill_gaussian(x, 0.f, 1.f, 12);
  layer->set_mode(Mode::gpu);
  layer->forward({&x, &cont}, {&y});
  return values(y.data(), y.count());
}

void check_cont_gradient_refused(const std::string& layer_text, const std::vector<int>& x_shape,
                                 const std::vector<std::vector<int>>& others, int tops,
                                 const std::string& where) {
  caffe::LayerParameter p;
  parse_text_proto(layer_text, "layer", p);
  auto layer = create_layer(p);
  std::vector<std::unique_ptr<Blob>> blobs;
  BlobVec bottom, top;
  blobs.push_back(std::make_unique<Blob>(x_shape));
  for (const auto& s : others) blobs.push_back(std::make_unique<Blob>(s));
  for (auto& b : blobs) bottom.push_back(b.get());
  for (int i = 0; i < tops; ++i) {
    blobs.push_back(std::make_unique<Blob>());
    top.push_back(blobs.back().get());
  }
  layer->setup(bottom, top);
  layer->set_mode(Mode::gpu);
  layer->forward(bottom, top);
  std::vector<bool> down(bottom.size(), true);
  REQUIRE_THROWS_WITH(
      layer->backward(top, down, bottom),
      Catch::Contains(where) && Catch::Contains("cannot backpropagate") && Catch::Contains("cont"));
}

}  // namespace

TEST_CASE("GPU LSTMUnit matches the CPU layer, cont 1 keeping and cont 0 dropping c_prev",
          "[gpu][layers][lstm_unit]") {
  LayerCase c;
  c.layer = "type: 'LSTMUnit' top: 'c' top: 'h'";
  c.bottoms = {{1, 3, 3}, {1, 3, 12}, {1, 3}};
  c.fixed_bottoms = {{2, {1, 0, 1}}};
  check_layer_parity(c);
}

TEST_CASE("GPU LSTM matches the CPU layer: static input, expose_hidden, restarts mid-batch",
          "[gpu][layers][lstm]") {
  check_recurrent("LSTM");
}

TEST_CASE("GPU RNN matches the CPU layer: static input, expose_hidden, restarts mid-batch",
          "[gpu][layers][rnn]") {
  check_recurrent("RNN");
}

TEST_CASE("GPU LSTM and RNN carry the state between batches as the CPU, across modes too",
          "[gpu][layers][lstm][rnn]") {
  SKIP_WITHOUT_GPU();
  for (const std::string type : {"LSTM", "RNN"}) {
    INFO(type);
    check_carried_state(type);
    // The carried state matters where cont is 1: the same batch from a zero state starts
    // otherwise in stream 0, alike in stream 1 (cont 0 at the first step).
    const auto carried = three_batches(type, Mode::gpu, Mode::gpu)[1];
    const auto alone = second_batch_alone(type);
    float change0 = 0.f, change1 = 0.f;
    for (int d = 0; d < 3; ++d) {
      change0 = std::fmax(change0, std::fabs(carried[d] - alone[d]));
      change1 = std::fmax(change1, std::fabs(carried[3 + d] - alone[3 + d]));
    }
    CHECK(change0 > 1e-3f);
    CHECK(change1 < 1e-6f);
  }
}

TEST_CASE("GPU LSTMUnit, LSTM and RNN refuse a gradient for cont as the CPU layers do",
          "[gpu][layers][lstm_unit][lstm][rnn]") {
  SKIP_WITHOUT_GPU();
  check_cont_gradient_refused("name: 'unit' type: 'LSTMUnit'", {1, 2, 3}, {{1, 2, 12}, {1, 2}}, 2,
                              "layer 'unit' (LSTMUnit)");
  check_cont_gradient_refused(recurrent("LSTM", false), {3, 2, 3}, {{3, 2}}, 1,
                              "layer 'rec' (LSTM)");
  check_cont_gradient_refused(recurrent("RNN", false), {3, 2, 3}, {{3, 2}}, 1, "layer 'rec' (RNN)");
}

#ifdef CORTADO_WITH_CUDA
// The layers queue device work only (graph_safe): a training step through LSTM and RNN,
// whose sequences continue from batch to batch (cont 1 throughout, so the carried state
// is read and written on the device in every replay), trains as with eager launches.
TEST_CASE("CUDA graph: a step through LSTM and RNN replays as eager launches train",
          "[gpu][cuda_graph][lstm][rnn]") {
  SKIP_WITHOUT_GPU();
  caffe::NetParameter net;
  parse_text_proto(R"(
    name: "recurrent_graph"
    layer { name: "data" type: "DummyData" top: "x" top: "cont" top: "target"
            dummy_data_param {
              shape { dim: 3 dim: 2 dim: 3 } shape { dim: 3 dim: 2 } shape { dim: 3 dim: 2 dim: 2 }
              data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 }
              data_filler { type: "uniform" min: -0.5 max: 0.5 } } }
    layer { name: "lstm" type: "LSTM" bottom: "x" bottom: "cont" top: "h"
            recurrent_param { num_output: 3 weight_filler { type: "uniform" min: -0.5 max: 0.5 }
                              bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
    layer { name: "rnn" type: "RNN" bottom: "h" bottom: "cont" top: "o"
            recurrent_param { num_output: 2 weight_filler { type: "uniform" min: -0.5 max: 0.5 }
                              bias_filler { type: "uniform" min: -0.5 max: 0.5 } } }
    layer { name: "loss" type: "EuclideanLoss" bottom: "o" bottom: "target" top: "loss" })",
                   "recurrent net", net);
  constexpr int kIters = 8;
  Solver eager(golden_solver(net, 100));
  eager.set_cuda_graph(false);
  eager.set_mode(Mode::gpu);
  const auto eager_losses = train_losses(eager, kIters);

  Solver graphed(golden_solver(net, 100));
  graphed.set_mode(Mode::gpu);
  const auto graph_losses = train_losses(graphed, kIters);
  REQUIRE(graphed.train_graph() != nullptr);
  CHECK(graphed.train_graph()->replaying());
  CHECK_FALSE(graphed.train_graph()->disabled());
  for (int i = 0; i < kIters; ++i) {
    INFO("iteration " << i << ": graph " << graph_losses[i] << ", eager " << eager_losses[i]);
    REQUIRE(std::isfinite(graph_losses[i]));
    CHECK(std::fabs(graph_losses[i] - eager_losses[i]) <= 1e-5f * std::fabs(eager_losses[i]));
  }
  const auto& pg = graphed.net().learnable_params();
  const auto& pe = eager.net().learnable_params();
  REQUIRE(pg.size() == pe.size());
  for (size_t k = 0; k < pe.size(); ++k) {
    INFO("learnable blob " << k);
    require_close(pg[k]->data(), pe[k]->data(), pe[k]->count(), 1e-5f);
  }
}
#endif

}  // namespace cortado::test
