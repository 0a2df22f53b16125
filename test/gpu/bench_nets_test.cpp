// GPU training-step benchmarks, hidden from CI; scripts/gpu_check.sh runs them with
//   build/bin/test_gpu "[.gpunets]"
// beside scripts/gpu_bench_nets_torch.py, the PyTorch peer on the same nets and shapes:
// one SGD step (momentum 0.9, weight decay 5e-4, softmax loss) of LeNet at batch 64 and
// CaffeNet at batch 256 (3x227x227), FP32 with TF32 off, then CaffeNet with --tf32's
// setting; and LeNet fed from an LMDB by the Data layer (the issue asks for >= 90% of
// the synthetic-input rate). Timing: wall clock around N steps after 10 warm-up steps,
// the stream drained at both ends, median of 5 blocks. Prints "BENCH <name> <ms/step>".
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "cuda/util/chained.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/side_work.hpp"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "support/tool_runner.hpp"
#include "test_nets.hpp"
#include "util/proto_io.hpp"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

// The `time` nets (Input layer: data + label) with the batch set to `batch`.
caffe::NetParameter synthetic_net(const std::string& file, int batch) {
  caffe::NetParameter net = read_net(testdata("nets/" + file));
  for (auto& layer : *net.mutable_layer())
    if (layer.type() == "Input")
      for (auto& shape : *layer.mutable_input_param()->mutable_shape()) shape.set_dim(0, batch);
  return net;
}

caffe::SolverParameter sgd(const caffe::NetParameter& net) {
  caffe::SolverParameter s;
  *s.mutable_net_param() = net;
  s.set_base_lr(0.01f);
  s.set_momentum(0.9f);
  s.set_weight_decay(0.0005f);
  s.set_lr_policy("fixed");
  s.set_max_iter(1 << 30);
  s.set_display(0);
  s.set_snapshot_after_train(false);
  s.set_random_seed(1701);
  return s;
}

// Noise in the data blob, labels spread over the classes.
void fill_inputs(Net& net, int classes) {
  std::mt19937 rng(1701);
  std::normal_distribution<float> noise(0.f, 1.f);
  for (Blob* b : net.input_blobs()) {
    float* d = b->mutable_data();
    const bool labels = b->num_axes() == 1;
    for (int i = 0; i < b->count(); ++i) d[i] = labels ? float(i % classes) : noise(rng);
  }
}

void drain() { REQUIRE(cudaStreamSynchronize(gpu::Context::get().stream()) == cudaSuccess); }

void bench_steps(const char* name, Solver& solver, int steps) {
  solver.step(10);
  std::vector<double> blocks;
  for (int b = 0; b < 5; ++b) {
    drain();
    const auto t0 = std::chrono::steady_clock::now();
    solver.step(steps);
    drain();
    blocks.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        steps);
  }
  std::sort(blocks.begin(), blocks.end());
  std::printf("BENCH %s %.4f\n", name, blocks[2]);
  std::fflush(stdout);
}

void bench_synthetic(const char* name, const std::string& file, int batch, int classes,
                     int steps, bool cuda_graph = true) {
  Solver solver(sgd(synthetic_net(file, batch)));
  solver.set_cuda_graph(cuda_graph);  // on by default: the step replayed from a CUDA graph
  solver.set_mode(Mode::gpu);
  fill_inputs(solver.net(), classes);
  bench_steps(name, solver, steps);
}

}  // namespace
#endif

TEST_CASE("GPU benchmark: LeNet and CaffeNet training steps", "[.gpunets]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  gpu::set_tf32(false);
  bench_synthetic("lenet_b64_step", "lenet_time.prototxt", 64, 10, 200);
  {  // the same with the parameter gradients on the main stream, for the side stream's gain
    struct Restore {
      ~Restore() { gpu::set_side_stream(true); }
    } restore;
    gpu::set_side_stream(false);
    bench_synthetic("lenet_b64_one_stream_step", "lenet_time.prototxt", 64, 10, 200);
  }
  {  // the same with every kernel launched unchained, for the chained launches' gain
    struct Restore {
      ~Restore() { gpu::set_chained_launches(true); }
    } restore;
    gpu::set_chained_launches(false);
    bench_synthetic("lenet_b64_unchained_step", "lenet_time.prototxt", 64, 10, 200);
  }
  // The same with every kernel launched eagerly (--no-cuda-graph), for the graph's gain.
  bench_synthetic("lenet_b64_eager_step", "lenet_time.prototxt", 64, 10, 200, false);
  bench_synthetic("caffenet_b256_step", "caffenet_time.prototxt", 256, 1000, 10);
  gpu::set_tf32(true);
  bench_synthetic("caffenet_b256_tf32_step", "caffenet_time.prototxt", 256, 1000, 10);
  gpu::set_tf32(false);

  // LeNet from the LMDB (Data layer, device transform) with the same layers and batch.
  caffe::SolverParameter param = sgd(lenet());
  param.clear_test_iter();
  param.clear_test_interval();
  Solver solver(param);
  solver.set_mode(Mode::gpu);
  bench_steps("lenet_b64_lmdb_step", solver, 200);
#endif
}

}  // namespace cortado::test
