// The side stream (cuda/util/side_work.hpp): parameter gradients summed beside the main
// stream. Its work must be finished wherever it is read: by the host, by the main
// stream after Net::backward, by a layer that shares the parameter.
#include <algorithm>
#include <cmath>
#include <vector>

#include "caffe.pb.h"
#include "gpu_test_util.hpp"
#ifdef CORTADO_WITH_CUDA
#include <cuda_runtime_api.h>

#include "cuda/layers/channel_bias.hpp"
#include "cuda/util/context.hpp"
#ifdef CORTADO_WITH_CUDNN
#include "cuda/layers/cudnn_conv.hpp"
#endif
#include "cuda/util/side_work.hpp"
#endif
#include "blob/blob.hpp"
#include "net/net.hpp"
#include "support/gradient_checker.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {

TEST_CASE("Side work: a stream, handles and workspace of its own, finished before a host read",
          "[gpu][side_work]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  gpu::Context& ctx = gpu::Context::get();
  cudaStream_t main_stream = ctx.stream();
  cublasContext* main_blas = ctx.cublas();
  void* main_scratch = ctx.workspace(256);
  const void* main_sums = gpu::bias_grad_scratch();
  CHECK_FALSE(gpu::on_side_stream());
  Blob b(std::vector<int>{1000});
  std::fill(b.mutable_data(), b.mutable_data() + b.count(), 3.f);
  float* dev = b.mutable_gpu_data();
  {
    gpu::SideWork side;
    CHECK(gpu::on_side_stream());
    CHECK(ctx.stream() == ctx.side_stream());
    CHECK(ctx.stream() != main_stream);
    CHECK(ctx.cublas() != main_blas);
    CHECK(ctx.workspace(256) != main_scratch);
    CHECK(gpu::bias_grad_scratch() != main_sums);  // both streams sum bias gradients
    {
      gpu::SideWork nested;  // already there
      CHECK(ctx.stream() == ctx.side_stream());
    }
    CHECK(gpu::on_side_stream());
    REQUIRE(cudaMemsetAsync(dev, 0, b.count() * sizeof(float), ctx.stream()) == cudaSuccess);
  }
  CHECK(ctx.stream() == main_stream);
  {  // off: the scope stays on the main stream
    struct Restore {
      ~Restore() { gpu::set_side_stream(true); }
    } restore;
    gpu::set_side_stream(false);
    gpu::SideWork side;
    CHECK_FALSE(gpu::on_side_stream());
    CHECK(ctx.stream() == main_stream);
  }
  // The host's read joins the side stream first (queued work may still wait there).
  const float* host = b.data();
  CHECK(*std::max_element(host, host + b.count()) == 0.f);
#endif
}

namespace {

// ip_a and ip_b share their weights (both summed on the side stream); the Bias layer
// below ip_a owns ip_a's bias and adds its own gradient to it on the main stream, after
// ip_a's (Net::backward joins the side stream before a layer that shares parameters).
// Only a GPU can show a missing join or a shared scratch buffer here: the emulator runs
// each stream's work whole and in order, and two sums into one diff commute.
const char* const kSharedNet = R"(
name: 'shared'
layer { name: 'data' type: 'Input' top: 'data' top: 'label'
        input_param { shape { dim: 6 dim: 5 } shape { dim: 6 } } }
layer { name: 'shift' type: 'Bias' bottom: 'data' top: 'shifted' param { name: 'b' }
        bias_param { filler { type: 'gaussian' std: 0.5 } } }
layer { name: 'ip_a' type: 'InnerProduct' bottom: 'shifted' top: 'a'
        param { name: 'w' } param { name: 'b' }
        inner_product_param { num_output: 5
          weight_filler { type: 'gaussian' std: 0.3 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'ip_b' type: 'InnerProduct' bottom: 'a' top: 'b' param { name: 'w' }
        inner_product_param { num_output: 5
          weight_filler { type: 'gaussian' std: 0.3 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'b' bottom: 'label' top: 'loss' }
)";

// conv2's bias gradient is summed on the side stream (no ReLU to mask its top diff
// first) while conv1's, masked by the fused ReLU, is summed on the main stream; both
// sum their 4 channels in slices through scratch memory, one buffer a stream.
const char* const kTwoStreamBiasNet = R"(
name: 'biases'
layer { name: 'data' type: 'Input' top: 'data' top: 'label'
        input_param { shape { dim: 4 dim: 3 dim: 20 dim: 20 } shape { dim: 4 } } }
layer { name: 'conv1' type: 'Convolution' bottom: 'data' top: 'conv1'
        convolution_param { num_output: 4 kernel_size: 3
          weight_filler { type: 'gaussian' std: 0.3 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'relu1' type: 'ReLU' bottom: 'conv1' top: 'conv1' }
layer { name: 'conv2' type: 'Convolution' bottom: 'conv1' top: 'conv2'
        convolution_param { num_output: 4 kernel_size: 3
          weight_filler { type: 'gaussian' std: 0.3 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'ip' type: 'InnerProduct' bottom: 'conv2' top: 'ip'
        inner_product_param { num_output: 3
          weight_filler { type: 'gaussian' std: 0.05 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'ip' bottom: 'label' top: 'loss' }
)";

std::vector<std::vector<float>> gradients(Net& net) {
  net.clear_param_diffs();
  net.forward_backward();
  std::vector<std::vector<float>> g;
  for (Blob* p : net.learnable_params()) g.emplace_back(p->diff(), p->diff() + p->count());
  return g;
}

}  // namespace

TEST_CASE("GPU: gradients summed on both streams get the CPU's: shared parameters, biases",
          "[gpu][side_work]") {
  SKIP_WITHOUT_GPU();
  const bool shared = GENERATE(true, false);
  INFO((shared ? "shared parameters" : "bias gradients summed on both streams"));
  caffe::NetParameter param;
  parse_text_proto(shared ? kSharedNet : kTwoStreamBiasNet, "test net", param);
  param.mutable_state()->set_phase(caffe::TRAIN);
  Net net(param);
  fill_gaussian(*net.input_blobs()[0], 0.f, 1.f, 1701);
  Blob& label = *net.input_blobs()[1];
  for (int i = 0; i < label.count(); ++i) label.mutable_data()[i] = static_cast<float>(i % 3);
  const auto cpu = gradients(net);
#ifdef CORTADO_WITH_CUDNN
  // cuDNN's way, so that conv2's bias goes through the slice-sum pass on the side
  // stream (the direct kernel would sum it itself).
  struct Restore {
    ~Restore() { gpu::set_conv_policy(gpu::ConvPolicy::timed); }
  } restore;
  if (!shared) gpu::set_conv_policy(gpu::ConvPolicy::cudnn_only);
#endif
  net.set_mode(Mode::gpu);
  const auto gpu = gradients(net);
  REQUIRE(cpu.size() == (shared ? 3u : 6u));  // b, w and ip_b's own bias; or 3 layers' two
  REQUIRE(gpu.size() == cpu.size());
  for (size_t p = 0; p < cpu.size(); ++p) {
    INFO("learnable parameter " << p);
    REQUIRE(gpu[p].size() == cpu[p].size());
    require_close(gpu[p].data(), cpu[p].data(), static_cast<int>(cpu[p].size()), 1e-5f);
  }
}

}  // namespace cortado::test
