// The ReLU kernels against the CPU ReLU layer, on the same inputs.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <limits>
#include <string>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "cuda/layers/relu.hpp"
#include "layers/registry.hpp"
#include "support/gradient_checker.hpp"
#include "util/proto_io.hpp"
#endif

namespace cortado::test {

TEST_CASE("ReLU kernels match the CPU layer", "[gpu][relu]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  for (float slope : {0.f, 0.1f, -0.5f}) {
    INFO("negative_slope " << slope);
    caffe::LayerParameter p;
    parse_text_proto("name: 'relu' type: 'ReLU' relu_param { negative_slope: " +
                         std::to_string(slope) + " }",
                     "relu test", p);
    auto layer = create_layer(p);
    const std::vector<int> shape{2, 3, 5, 7};
    Blob x(shape), y, dy(shape);
    fill_gaussian(x, 0.f, 1.f, 1701);
    fill_gaussian(dy, 0.f, 1.f, 1702);
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    std::copy(dy.data(), dy.data() + dy.count(), y.mutable_diff());
    layer->backward({&y}, {true}, {&x});

    Blob gx(shape), gy(shape);
    std::copy(x.data(), x.data() + x.count(), gx.mutable_data());
    const int n = x.count();
    gpu::relu_forward(n, gx.gpu_data(), gy.mutable_gpu_data(), slope);
    gpu::relu_backward(n, gx.gpu_data(), dy.gpu_data(), gx.mutable_gpu_diff(), slope);
    require_close(gy.data(), y.data(), n, 1e-4f);
    require_close(gx.diff(), x.diff(), n, 1e-4f);
  }
#endif
}

TEST_CASE("ReLU kernel keeps NaN as NaN, as the CPU layer does", "[gpu][relu]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  Blob x({3}), y({3});
  x.mutable_data()[0] = std::numeric_limits<float>::quiet_NaN();
  x.mutable_data()[1] = -1.f;
  x.mutable_data()[2] = 2.f;
  gpu::relu_forward(3, x.gpu_data(), y.mutable_gpu_data(), 0.f);
  CHECK(std::isnan(y.data()[0]));
  CHECK(y.data()[1] == 0.f);
  CHECK(y.data()[2] == 2.f);
#endif
}

}  // namespace cortado::test
