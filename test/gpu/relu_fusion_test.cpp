// An in-place ReLU after Convolution or InnerProduct is fused into that layer's GPU
// bias passes (Net::set_mode, Layer::fuse_relu_gpu): the net must compute what the
// CPU net computes, loss and parameter gradients alike, with a bias, without one,
// with a leaky slope and with a bias that does not learn (no force_backward, which
// would make every parameter learn); and the ReLUs that cannot be fused (not in
// place, a negative slope) must stay as they are.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "gpu_test_util.hpp"
#ifdef CORTADO_WITH_CUDNN
#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/layers/gemm_conv.hpp"
#include "cuda/math/gemm.hpp"
#endif
#include "layers/relu.hpp"
#include "net/net.hpp"
#include "support/gradient_checker.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {
namespace {

const char* const kNet = R"(
name: 'fusion'
layer { name: 'data' type: 'Input' top: 'data' top: 'label'
        input_param { shape { dim: 3 dim: 2 dim: 9 dim: 9 } shape { dim: 3 } } }
layer { name: 'conv1' type: 'Convolution' bottom: 'data' top: 'conv1'
        convolution_param { num_output: 4 kernel_size: 3
          weight_filler { type: 'gaussian' std: 0.3 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'relu1' type: 'ReLU' bottom: 'conv1' top: 'conv1' }
layer { name: 'conv2' type: 'Convolution' bottom: 'conv1' top: 'conv2'
        convolution_param { num_output: 5 kernel_size: 3 bias_term: false
          weight_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'relu2' type: 'ReLU' bottom: 'conv2' top: 'conv2' relu_param { negative_slope: 0.1 } }
layer { name: 'ip1' type: 'InnerProduct' bottom: 'conv2' top: 'ip1'
        param { lr_mult: 1 } param { lr_mult: 0 }
        inner_product_param { num_output: 7
          weight_filler { type: 'gaussian' std: 0.2 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'relu3' type: 'ReLU' bottom: 'ip1' top: 'ip1' }
layer { name: 'ip2' type: 'InnerProduct' bottom: 'ip1' top: 'ip2'
        inner_product_param { num_output: 6
          weight_filler { type: 'gaussian' std: 0.2 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'relu4' type: 'ReLU' bottom: 'ip2' top: 'relu4' }
layer { name: 'ip3' type: 'InnerProduct' bottom: 'relu4' top: 'ip3'
        inner_product_param { num_output: 5
          weight_filler { type: 'gaussian' std: 0.2 } bias_filler { type: 'gaussian' std: 0.3 } } }
layer { name: 'relu5' type: 'ReLU' bottom: 'ip3' top: 'ip3' relu_param { negative_slope: -0.5 } }
layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'ip3' bottom: 'label' top: 'loss' }
)";

struct Result {
  float loss = 0;
  std::vector<std::vector<float>> grads;  // every parameter's diff
};

Result run(Net& net) {
  net.clear_param_diffs();
  Result r;
  r.loss = net.forward_backward();
  for (const auto& p : net.params()) r.grads.emplace_back(p->diff(), p->diff() + p->count());
  return r;
}

}  // namespace

TEST_CASE("GPU: in-place ReLUs fused into Convolution and InnerProduct compute the CPU's net",
          "[gpu][relu][layers]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDNN
  // Also with the convolutions on the direct kernels and the inner products on the
  // small-GEMM kernel, which add the bias and the fused ReLU as they store, and with
  // the convolutions on im2col + GEMM, which add them after each chunk's product.
  struct Restore {
    ~Restore() {
      gpu::set_conv_policy(gpu::ConvPolicy::timed);
      gpu::set_gemm_policy(gpu::GemmPolicy::timed);
    }
  } restore;
  const int way = GENERATE(0, 1, 2);
  const bool own = way == 1;
  INFO((own        ? "direct convolution and small-GEMM kernels"
        : way == 2 ? "convolutions by im2col + GEMM"
                   : "ways chosen by timing"));
  gpu::set_conv_policy(own        ? gpu::ConvPolicy::direct
                       : way == 2 ? gpu::ConvPolicy::gemm_per_image
                                  : gpu::ConvPolicy::timed);
  gpu::set_gemm_policy(own ? gpu::GemmPolicy::small : gpu::GemmPolicy::timed);
  const long long chunks = gpu::gemm_conv_chunks_run();
#endif
  caffe::NetParameter param;
  parse_text_proto(kNet, "fusion net", param);
  param.mutable_state()->set_phase(caffe::TRAIN);
  Net net(param);
  Blob& data = *net.input_blobs()[0];
  Blob& label = *net.input_blobs()[1];
  fill_gaussian(data, 0.f, 1.f, 1701);
  for (int i = 0; i < label.count(); ++i) label.mutable_data()[i] = static_cast<float>(i % 5);

  const Result cpu = run(net);
  net.set_mode(Mode::gpu);
  std::vector<std::string> fused;
  for (Layer* l : net.layers_of_type("ReLU"))
    if (static_cast<ReLULayer*>(l)->fused_into_previous_gpu()) fused.push_back(l->name());
  CHECK(fused == std::vector<std::string>{"relu1", "relu2", "relu3"});
  const Result gpu = run(net);
#ifdef CORTADO_WITH_CUDNN
  if (way == 2) CHECK(gpu::gemm_conv_chunks_run() > chunks);
#endif

  CHECK(std::fabs(gpu.loss - cpu.loss) <= 1e-5f * std::fabs(cpu.loss));
  REQUIRE(gpu.grads.size() == cpu.grads.size());
  for (size_t b = 0; b < cpu.grads.size(); ++b) {
    INFO("parameter " << b);
    float scale = 0;
    for (float v : cpu.grads[b]) scale = std::max(scale, std::fabs(v));
    for (size_t i = 0; i < cpu.grads[b].size(); ++i)
      REQUIRE(std::fabs(gpu.grads[b][i] - cpu.grads[b][i]) <= 1e-4f * scale + 1e-7f);
  }
  // ip1's bias does not learn: its diff stays zero, as on the CPU.
  const auto& ip1 = net.layers_of_type("InnerProduct")[0]->blobs();
  for (int i = 0; i < ip1[1]->count(); ++i) CHECK(ip1[1]->diff()[i] == 0.f);
}

}  // namespace cortado::test
