// The layer table on the GPU: the vision layers (InnerProduct, Convolution,
// Deconvolution, Pooling, LRN), each case compared with the CPU layer and
// gradient-checked on the device (test/gpu/layer_parity.hpp). The cases mirror
// test/layers/vision_*.cpp: pad, stride, group, dilation, 1-d, axis, ceil rule.
#include <string>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"

namespace cortado::test {
namespace {

const char* const kFillers =
    "weight_filler { type: 'gaussian' std: 0.5 } bias_filler { type: 'gaussian' std: 0.5 }";

}  // namespace

TEST_CASE("GPU InnerProduct matches the CPU layer: bias, transpose, axis", "[gpu][layers][ip]") {
  struct Shape {
    const char* param;
    std::vector<int> bottom;
  };
  for (const Shape& s : std::initializer_list<Shape>{
           {"num_output: 5", {2, 3, 2, 2}},                        // M < N: fc6-like
           {"num_output: 3", {7, 4}},                              // M > N
           {"num_output: 5 transpose: true", {2, 3, 2, 2}},        // W stored K x N
           {"num_output: 4 bias_term: false", {6, 5}},             // no bias
           {"num_output: 2 axis: 2 bias_term: false", {2, 3, 4}},  // leading axes kept
           {"num_output: 3 axis: -1 transpose: true", {2, 2, 5}}}) {
    LayerCase c;
    c.layer = std::string(
                  "name: 'fc' type: 'InnerProduct' bottom: 'x' top: 'y' "
                  "inner_product_param { ") +
              s.param + " " + kFillers + " }";
    c.bottoms = {s.bottom};
    check_layer_parity(c);
  }
}

}  // namespace cortado::test
