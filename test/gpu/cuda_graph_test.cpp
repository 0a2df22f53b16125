// The GPU training iteration replayed from a CUDA graph (cuda/solvers/train_graph.hpp)
// against the same solver with eager launches: same seed, same batches, so the same
// losses and weights to rounding; Dropout's masks follow the same keys; a failed
// capture falls back to eager launches with a warning; a shape change captures again;
// a bad label is raised after the replay as eager mode raises it. Within one step(N)
// a replay is collected after the next one is queued: the losses, the weights and a
// failure's message and held updates must not show it.
// util/log.hpp sets spdlog's compile-time level: it must come before any spdlog header.
#include "util/log.hpp"
// (a separate block, so that include sorting keeps the order)
#include <spdlog/sinks/ostream_sink.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "caffe.pb.h"
#include "db/lmdb.hpp"
#include "gpu_test_util.hpp"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "support/tool_runner.hpp"
#include "test_nets.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/train_graph.hpp"
#include "cuda/util/chained.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/side_work.hpp"
#endif

#ifdef CORTADO_WITH_CUDA
namespace cortado::test {
namespace {

// A small MLP on the same data, with Dropout.
caffe::NetParameter mlp_with_dropout() {
  caffe::NetParameter net;
  parse_text_proto(R"(
    name: "mlp"
    layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TRAIN }
            transform_param { scale: 0.00390625 }
            data_param { source: "SOURCE" batch_size: 64 backend: LMDB } }
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
            inner_product_param { num_output: 64 weight_filler { type: "xavier" }
                                  bias_filler { type: "constant" value: 0.1 } } }
    layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
    layer { name: "drop1" type: "Dropout" bottom: "ip1" top: "ip1"
            dropout_param { dropout_ratio: 0.3 } }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 10 weight_filler { type: "xavier" }
                                  bias_filler { type: "constant" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss"
            top: "prob" loss_weight: 2.5 loss_weight: 0 }
  )",
                   "mlp", net);
  net.mutable_layer(0)->mutable_data_param()->set_source(
      testdata("lmdb/fashion_mnist_train1000_lmdb"));
  return net;
}

void require_same_training(Solver& graphed, const std::vector<float>& graph_losses, Solver& eager,
                           const std::vector<float>& eager_losses) {
  REQUIRE(graph_losses.size() == eager_losses.size());
  for (size_t i = 0; i < eager_losses.size(); ++i) {
    INFO("iteration " << i << ": graph " << graph_losses[i] << ", eager " << eager_losses[i]);
    REQUIRE(std::isfinite(graph_losses[i]));
    CHECK(std::fabs(graph_losses[i] - eager_losses[i]) <= 1e-5f * std::fabs(eager_losses[i]));
  }
  const auto& pg = graphed.net().learnable_params();
  const auto& pe = eager.net().learnable_params();
  REQUIRE(pg.size() == pe.size());
  for (size_t p = 0; p < pe.size(); ++p) {
    INFO("learnable param " << p << " (" << pe[p]->shape_string() << ")");
    require_close(pg[p]->data(), pe[p]->data(), pe[p]->count(), 1e-5f);
  }
}

// cuDNN picks its algorithms by timing; deterministic ones keep both runs' sums alike.
struct DeterministicScope {
  DeterministicScope() { gpu::set_deterministic(true); }
  ~DeterministicScope() { gpu::set_deterministic(false); }
};

// Collects the log while alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = logger()->sinks();
    for (auto it = sinks.begin(); it != sinks.end(); ++it)
      if (*it == sink_) {
        sinks.erase(it);
        break;
      }
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace

TEST_CASE("CUDA graph: LeNet's replayed training step matches eager launches over 20 iterations",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  DeterministicScope deterministic;
  constexpr int kIters = 20;
  Solver eager(golden_solver(lenet(), 1000));
  eager.set_cuda_graph(false);
  eager.set_mode(Mode::gpu);
  const auto eager_losses = train_losses(eager, kIters);
  CHECK(eager.train_graph() == nullptr);

  Solver graphed(golden_solver(lenet(), 1000));
  graphed.set_mode(Mode::gpu);
  const auto graph_losses = train_losses(graphed, kIters);
  REQUIRE(graphed.train_graph() != nullptr);
  CHECK(graphed.train_graph()->replaying());
  CHECK(graphed.train_graph()->captures() == 1);
  CHECK_FALSE(graphed.train_graph()->disabled());
  // Captured with chained launches where the device chains (no fallback to plain ones).
  CHECK(graphed.train_graph()->chained() == gpu::Context::get().chains());
  require_same_training(graphed, graph_losses, eager, eager_losses);
  // Launches bound a step this small: a guard against kernels creeping in per
  // parameter or per layer. The emulator counts one node per kernel, copy and library
  // call (a real cuDNN or cuBLAS call may add nodes of its own, so the count is only
  // reported there): 1 zeroing of all param diffs and the result words, forward 11
  // (2 convolutions and 2 inner products, each with its bias pass, ip1's applying the
  // ReLU, 2 poolings, the loss's softmax, stats and weighted sum in one kernel),
  // backward 16 (the loss's gradient; 4 bias gradients, ip1's with the ReLU's mask, the
  // convolutions' in slices and a sum of them each; 4 GEMMs; 3 convolution passes; 2
  // poolings), and the update (deciding its own hold).
  const size_t nodes = graphed.train_graph()->nodes();
  WARN("LeNet's captured training iteration: " << nodes << " graph nodes");
#ifdef CORTADO_CUDA_EMU
  CHECK(nodes == 29);
#else
  CHECK(nodes >= 29);
#endif
}

namespace {

// One step(iters) of `s` with graphs and without: each iteration's loss must reach its
// slot of the smoothed loss (average_loss = iters makes it their mean), and the
// weights must agree. Within the step, replays are collected one iteration late.
void require_same_step(caffe::SolverParameter s, int iters) {
  s.set_average_loss(iters);
  s.set_display(10);  // the display collects its own iteration at once
  Solver eager(s);
  eager.set_cuda_graph(false);
  eager.set_mode(Mode::gpu);
  eager.step(iters);

  Solver graphed(s);
  graphed.set_mode(Mode::gpu);
  graphed.step(iters);
  REQUIRE(graphed.train_graph() != nullptr);
  CHECK(graphed.train_graph()->replaying());
  CHECK(graphed.train_graph()->started() == 0);  // step() leaves nothing running
  CHECK(graphed.iter() == iters);
  require_same_training(graphed, {graphed.smoothed_loss()}, eager, {eager.smoothed_loss()});
}

caffe::SolverParameter adam_with_clipping(const caffe::NetParameter& net) {
  caffe::SolverParameter s = golden_solver(net, 1000);
  s.set_type("Adam");
  s.set_base_lr(0.002f);
  s.set_momentum(0.9f);
  s.set_momentum2(0.999f);
  s.set_delta(1e-8f);
  s.set_lr_policy("step");
  s.set_gamma(0.5f);
  s.set_stepsize(7);
  s.set_clip_gradients(0.5f);  // small enough to clip in most iterations
  return s;
}

}  // namespace

TEST_CASE("CUDA graph: replays queued behind each other in one step(N) train as eager launches do",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  DeterministicScope deterministic;
  SECTION("LeNet, SGD") { require_same_step(golden_solver(lenet(), 1000), 23); }
  SECTION("MLP with Dropout, Adam, gradient clipping") {
    require_same_step(adam_with_clipping(mlp_with_dropout()), 17);
  }
  SECTION("LeNet with its probabilities as a second weighted loss top") {
    // Two loss tops: Layer::forward sums them on the device (the loss layer sums its
    // one loss top itself elsewhere: SoftmaxWithLossLayer::sums_graph_loss).
    caffe::NetParameter net = lenet();
    caffe::LayerParameter& loss = *net.mutable_layer(net.layer_size() - 1);
    REQUIRE(loss.type() == "SoftmaxWithLoss");
    loss.add_top("prob");
    loss.add_loss_weight(1.f);
    loss.add_loss_weight(0.25f);
    require_same_step(golden_solver(net, 1000), 12);
  }
}

TEST_CASE("CUDA graph: Dropout masks, Adam and on-device gradient clipping match eager launches",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  constexpr int kIters = 20;
  const caffe::SolverParameter s = adam_with_clipping(mlp_with_dropout());
  Solver eager(s);
  eager.set_cuda_graph(false);
  eager.set_mode(Mode::gpu);
  const auto eager_losses = train_losses(eager, kIters);

  Solver graphed(s);
  graphed.set_mode(Mode::gpu);
  LogCapture log;
  const auto graph_losses = train_losses(graphed, kIters);
  REQUIRE(graphed.train_graph() != nullptr);
  CHECK(graphed.train_graph()->replaying());
  require_same_training(graphed, graph_losses, eager, eager_losses);
  // The clipping line comes back from the device's norm.
  CHECK(log.text().find("Gradient clipping: scaling down gradients") != std::string::npos);
}

namespace {

// The failure tests' reference: the MLP with Dropout, launched eagerly.
std::unique_ptr<Solver> eager_mlp() {
  auto s = std::make_unique<Solver>(golden_solver(mlp_with_dropout(), 1000));
  s->set_cuda_graph(false);
  s->set_mode(Mode::gpu);
  return s;
}

// Chained launches on or off while alive (then on again, the default).
struct ChainedLaunches {
  explicit ChainedLaunches(bool on) { gpu::set_chained_launches(on); }
  ~ChainedLaunches() { gpu::set_chained_launches(true); }
};

}  // namespace

TEST_CASE("CUDA graph: a failed capture or launch falls back to eager launches, one warning",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  constexpr int kIters = 12;
  const auto eager = eager_mlp();
  const auto eager_losses = train_losses(*eager, kIters);

  // What fails: the capture, or a replay's launch. A graph of chained launches is
  // captured again with plain ones (that graph only); one of plain launches leaves the
  // solver eager for good.
  const bool launch = GENERATE(false, true);
  const bool chained = GENERATE(false, true);
  INFO((launch ? "a launch fails, " : "the capture fails, ")
       << (chained ? "chained launches" : "plain launches"));
  const ChainedLaunches chaining(chained);
  Solver graphed(golden_solver(mlp_with_dropout(), 1000));
  graphed.set_mode(Mode::gpu);
  LogCapture log;
  const int before = launch ? 4 : 1;  // a launch needs a graph: captured at the third
  std::vector<float> graph_losses = train_losses(graphed, before);
  REQUIRE(graphed.train_graph() != nullptr);
  if (launch) {
    REQUIRE(graphed.train_graph()->replaying());
    CHECK(graphed.train_graph()->chained() == chained);
    graphed.train_graph()->fail_next_launch_for_test();
  } else {
    graphed.train_graph()->fail_next_capture_for_test();
  }
  for (float l : train_losses(graphed, kIters - before)) graph_losses.push_back(l);
  const std::string text = log.text();
  if (chained) {
    CHECK(gpu::chained_launches());  // eager launches elsewhere stay chained
    CHECK_FALSE(graphed.train_graph()->chained());
    CHECK_FALSE(graphed.train_graph()->disabled());
    CHECK(graphed.train_graph()->replaying());
    CHECK(graphed.train_graph()->captures() == (launch ? 2 : 1));
    CHECK(text.find(launch ? "CUDA graph: launching the graph of chained kernel launches failed"
                           : "CUDA graph: capturing with chained kernel launches failed (CUDA "
                             "graph: capture failure forced by a test); capturing again with "
                             "plain launches") != std::string::npos);
    CHECK(text.find("training continues without graphs") == std::string::npos);
  } else {
    CHECK(graphed.train_graph()->disabled());
    CHECK_FALSE(graphed.train_graph()->replaying());
    const auto warning = text.find(launch ? "CUDA graph: cudaGraphLaunch: "
                                          : "CUDA graph: capturing the training iteration failed");
    CHECK(warning != std::string::npos);
    CHECK(text.find("training continues without graphs", warning + 1) ==
          text.rfind("training continues without graphs"));  // once
    if (!launch) CHECK(graphed.train_graph()->captures() == 0);
  }
  require_same_training(graphed, graph_losses, *eager, eager_losses);
}

namespace {

// Input -> InnerProduct -> (Accuracy ->) SoftmaxWithLoss, inputs written by the test
// each step.
caffe::SolverParameter input_solver(bool with_accuracy = false) {
  const std::string head = R"(
    name: "fed"
    layer { name: "input" type: "Input" top: "x" top: "label"
            input_param { shape { dim: 8 dim: 5 } shape { dim: 8 } } }
    layer { name: "fc" type: "InnerProduct" bottom: "x" top: "score"
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 }
                                  bias_filler { type: "constant" value: 0.1 } } })";
  const std::string accuracy = R"(
    layer { name: "acc" type: "Accuracy" bottom: "score" bottom: "label" top: "acc" })";
  const std::string loss = R"(
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss" })";
  caffe::NetParameter net;
  parse_text_proto(head + (with_accuracy ? accuracy : "") + loss, "fed", net);
  return golden_solver(net, 1000);
}

void feed(Solver& s, int batch, int step, int bad_label = -1) {
  Blob& x = *s.net().blob_by_name("x");
  Blob& label = *s.net().blob_by_name("label");
  x.reshape({batch, 5});
  label.reshape({batch});
  float* xd = x.mutable_data();
  float* ld = label.mutable_data();
  for (int i = 0; i < batch * 5; ++i) xd[i] = std::sin(0.37f * (i + 11 * step));
  for (int i = 0; i < batch; ++i) ld[i] = static_cast<float>((i + step) % 3);
  if (bad_label >= 0) ld[batch - 1] = static_cast<float>(bad_label);
}

// Host copies of every learnable parameter's values.
std::vector<std::vector<float>> param_values(Solver& s) {
  std::vector<std::vector<float>> out;
  for (Blob* p : s.net().learnable_params()) out.emplace_back(p->data(), p->data() + p->count());
  return out;
}

std::vector<float> fed_losses(Solver& s, int from, int to, int batch) {
  std::vector<float> losses;
  for (int step = from; step < to; ++step) {
    feed(s, batch, step);
    s.step(1);
    losses.push_back(s.smoothed_loss());
  }
  return losses;
}

// Six fed steps on the GPU, after which the iteration is replayed from a graph.
void start_replaying(Solver& s) {
  s.set_mode(Mode::gpu);
  fed_losses(s, 0, 6, 8);
  REQUIRE(s.train_graph() != nullptr);
  REQUIRE(s.train_graph()->replaying());
}

// The Error that the next step(iters) throws (a test failure when there is none).
// With iters > 1 the failed replay is collected after the next one was queued.
std::string step_error(Solver& s, int iters) {
  try {
    s.step(iters);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("the step threw no Error");
  return "";
}

}  // namespace

TEST_CASE("CUDA graph: a changed input shape is captured again after warm-up",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  Solver eager(input_solver());
  eager.set_cuda_graph(false);
  eager.set_mode(Mode::gpu);
  std::vector<float> eager_losses = fed_losses(eager, 0, 6, 8);
  for (float l : fed_losses(eager, 6, 12, 4)) eager_losses.push_back(l);

  Solver graphed(input_solver());
  graphed.set_mode(Mode::gpu);
  std::vector<float> graph_losses = fed_losses(graphed, 0, 6, 8);
  REQUIRE(graphed.train_graph() != nullptr);
  CHECK(graphed.train_graph()->replaying());
  CHECK(graphed.train_graph()->captures() == 1);
  for (float l : fed_losses(graphed, 6, 12, 4)) graph_losses.push_back(l);
  CHECK(graphed.train_graph()->replaying());
  CHECK(graphed.train_graph()->captures() == 2);
  CHECK(graphed.net().blob_by_name("score")->shape(0) == 4);
  require_same_training(graphed, graph_losses, eager, eager_losses);
}

TEST_CASE("CUDA graph: a side-stream workspace grown after the capture is captured again",
          "[gpu][cuda_graph][side_work]") {
  SKIP_WITHOUT_GPU();
  Solver graphed(input_solver());
  start_replaying(graphed);
  REQUIRE(graphed.train_graph()->captures() == 1);
  gpu::Context& ctx = gpu::Context::get();
  const auto before = ctx.workspaces();
  {  // a graph holds the old buffer's address, which growing frees; earlier tests in
     // this process may have grown it to the limit already
    struct RestoreLimit {
      gpu::Context& ctx;
      size_t limit = ctx.workspace_limit();
      ~RestoreLimit() { ctx.set_workspace_limit(limit); }
    } restore{ctx};
    gpu::SideWork side;
    ctx.set_workspace_limit(size_t{8} << 30);
    for (size_t b = size_t{64} << 20; ctx.workspaces()[1] == before[1] && b <= (size_t{8} << 30);
         b *= 2)
      ctx.workspace(b);
  }
  gpu::join_side_work();
  CHECK(ctx.workspaces()[1] != before[1]);
  CHECK(ctx.workspaces()[0] == before[0]);
  fed_losses(graphed, 6, 12, 8);
  CHECK(graphed.train_graph()->replaying());
  CHECK(graphed.train_graph()->captures() == 2);
}

TEST_CASE("CUDA graph: a bad label is raised after the replay as in eager mode",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  for (int iters : {1, 3}) {
    INFO("step(" << iters << ")");
    Solver graphed(input_solver());
    start_replaying(graphed);
    feed(graphed, 8, 6, 7);
    const auto before = param_values(graphed);
    CHECK_THAT(step_error(graphed, iters),
               Catch::Contains("label 7 at position 7 is outside [0, 3)"));
    // As in eager mode, the iteration that raised did not update (its update was held),
    // nor did one queued behind it.
    CHECK(param_values(graphed) == before);
    CHECK(graphed.train_graph()->started() == 0);
    // The hold is cleared for what comes after.
    feed(graphed, 8, 7);
    graphed.step(2);
    CHECK(param_values(graphed) != before);
  }
}

TEST_CASE("CUDA graph: a NaN loss stops training before the replay's update, as in eager mode",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  for (int iters : {1, 3}) {
    INFO("step(" << iters << ")");
    Solver graphed(input_solver());
    start_replaying(graphed);
    feed(graphed, 8, 6);
    graphed.net().blob_by_name("x")->mutable_data()[3] = std::nanf("");
    const auto before = param_values(graphed);
    const std::string what = step_error(graphed, iters);
    CHECK_THAT(what, Catch::Contains("iteration 6: the training loss became NaN"));
    // The parameters are still finite, so the first non-finite blob is the input.
    CHECK_THAT(what, Catch::Contains("first non-finite blob: 'x' (top of layer 'input')"));
    CHECK(param_values(graphed) == before);
  }
}

TEST_CASE("CUDA graph: Accuracy in the TRAIN net is captured and raises a bad label first",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  Solver graphed(input_solver(true));
  start_replaying(graphed);
  // The accuracy top is the replay's: a host read after the step fetches it.
  const float acc = graphed.net().blob_by_name("acc")->data()[0];
  CHECK(acc >= 0.f);
  CHECK(acc <= 1.f);
  feed(graphed, 8, 6, 5);
  const std::string what = step_error(graphed, 2);
  CHECK_THAT(what, Catch::Contains("'acc'"));  // Accuracy comes first, as in eager mode
  CHECK_THAT(what, Catch::Contains("label 5 at position 7 is outside [0, 3)"));
}

namespace {

// 64 datums of 1x4x4 with labels i % 3, but record 45's label is 9: batch 5 of 8 (its
// position 5) fails. The label blob holds a later batch when the host learns of it.
std::string lmdb_with_bad_label() {
  static const std::string path = [] {
    const std::string dir = temp_dir("cuda_graph_bad_label_lmdb");
    LmdbWriter writer(dir);
    for (int i = 0; i < 64; ++i) {
      caffe::Datum d;
      d.set_channels(1);
      d.set_height(4);
      d.set_width(4);
      d.set_label(i == 45 ? 9 : i % 3);
      std::string bytes;
      for (int k = 0; k < 16; ++k) bytes += static_cast<char>((k * 37 + i * 11) % 256);
      d.set_data(bytes);
      char key[16];
      std::snprintf(key, sizeof key, "%08d", i);
      writer.put(key, d.SerializeAsString());
    }
    writer.finish();
    return dir;
  }();
  return path;
}

}  // namespace

TEST_CASE("CUDA graph: a bad label in a later batch of one step(N) fails as in eager mode",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  caffe::NetParameter net;
  parse_text_proto(R"(
    name: "bad_label"
    layer { name: "data" type: "Data" top: "data" top: "label"
            transform_param { scale: 0.00390625 }
            data_param { source: "SOURCE" batch_size: 8 backend: LMDB } }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "score"
            inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" top: "loss" }
  )",
                   "bad_label", net);
  net.mutable_layer(0)->mutable_data_param()->set_source(lmdb_with_bad_label());
  Solver eager(golden_solver(net, 1000));
  eager.set_cuda_graph(false);
  eager.set_mode(Mode::gpu);
  const std::string eager_what = step_error(eager, 20);
  CHECK_THAT(eager_what, Catch::Contains("label 9 at position 5 is outside [0, 3)"));

  Solver graphed(golden_solver(net, 1000));
  graphed.set_mode(Mode::gpu);
  CHECK(step_error(graphed, 20) == eager_what);
  REQUIRE(graphed.train_graph() != nullptr);
  CHECK(graphed.train_graph()->captures() == 1);
  const auto pg = param_values(graphed), pe = param_values(eager);
  REQUIRE(pg.size() == pe.size());
  for (size_t p = 0; p < pe.size(); ++p)
    require_close(pg[p].data(), pe[p].data(), pe[p].size(), 1e-5f);
}

TEST_CASE("CUDA graph: --no-cuda-graph (set_cuda_graph false) keeps eager launches",
          "[gpu][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  Solver s(input_solver());
  s.set_cuda_graph(false);
  s.set_mode(Mode::gpu);
  fed_losses(s, 0, 5, 8);
  CHECK(s.train_graph() == nullptr);
}

}  // namespace cortado::test

#endif  // CORTADO_WITH_CUDA
