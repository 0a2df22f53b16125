// The layer table on the GPU: elementwise (neuron) layers, each case compared
// with the CPU layer and gradient-checked on the device (test/gpu/layer_parity.hpp).
#include "gpu_test_util.hpp"
#include "layer_parity.hpp"

namespace cortado::test {
namespace {

// Kinks at 0 (ReLU-like layers): skip inputs too close to them in numeric checks.
GradCheck kinked_at_zero() {
  GradCheck g;
  g.kink = 0.f;
  g.kink_range = 0.02f;
  return g;
}

}  // namespace

TEST_CASE("GPU ReLU matches the CPU layer: plain, leaky, negative slope, in place",
          "[gpu][layers][relu]") {
  for (const char* param :
       {"", "relu_param { negative_slope: 0.1 }", "relu_param { negative_slope: -0.5 }"}) {
    for (bool in_place : {false, true}) {
      LayerCase c;
      c.layer = std::string("name: 'relu' type: 'ReLU' bottom: 'x' top: '") +
                (in_place ? "x" : "y") + "' " + param;
      c.bottoms = {{2, 3, 5, 7}};
      c.grad = kinked_at_zero();
      check_layer_parity(c);
    }
  }
}

}  // namespace cortado::test
