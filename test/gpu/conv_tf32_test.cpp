// --tf32 reaching the convolutions: with gpu::tf32() on, cuDNN runs in default math
// (TF32 allowed on sm_80+), so results stay within TF32's rounding of the FP32 ones;
// switching the setting re-describes the layer and picks algorithms per setting.
#include <cmath>
#include <random>

#include "caffe.pb.h"
#include "gpu_test_util.hpp"
#include "layers/layer.hpp"
#include "layers/registry.hpp"
#include "util/proto_io.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/util/context.hpp"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
TEST_CASE("GPU Convolution with --tf32 stays within TF32 rounding of FP32, and back",
          "[gpu][layers][tf32]") {
  SKIP_WITHOUT_GPU();
  caffe::LayerParameter p;
  parse_text_proto(
      "name: 'conv' type: 'Convolution' bottom: 'x' top: 'y' convolution_param { num_output: 16 "
      "kernel_size: 3 pad: 1 weight_filler { type: 'gaussian' std: 0.1 } }",
      "conv", p);
  auto layer = create_layer(p);
  Blob x({4, 8, 12, 12}), y;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int i = 0; i < x.count(); ++i) x.mutable_data()[i] = u(rng);
  layer->setup({&x}, {&y});
  layer->set_mode(Mode::gpu);
  auto run = [&] {
    layer->forward({&x}, {&y});
    return std::vector<float>(y.data(), y.data() + y.count());
  };
  // TF32 off again even when run() throws: later tests must not compute in TF32.
  struct Fp32Again {
    ~Fp32Again() { gpu::set_tf32(false); }
  } fp32_again;
  gpu::set_tf32(false);
  const std::vector<float> fp32 = run();
  gpu::set_tf32(true);
  const std::vector<float> tf32 = run();
  gpu::set_tf32(false);
  const std::vector<float> again = run();
  double err = 0, norm = 0;
  for (size_t i = 0; i < fp32.size(); ++i) {
    err = std::fmax(err, std::fabs(tf32[i] - fp32[i]));
    norm = std::fmax(norm, std::fabs(fp32[i]));
  }
  // 72 products of inputs rounded to 10 mantissa bits: well within 1% of the largest output.
  CHECK(err <= 1e-2 * norm);
  require_close(again.data(), fp32.data(), static_cast<int>(fp32.size()), 1e-6f);
}
#endif

}  // namespace cortado::test
