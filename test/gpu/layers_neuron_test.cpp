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

namespace cortado::test {
namespace {

// One parity case per (param, in place?) pair of a neuron layer.
LayerCase kinked_case() {
  LayerCase c;
  c.grad = kinked_at_zero();
  return c;
}

void check_neuron(const std::string& type, const std::vector<std::string>& params,
                  const LayerCase& base = {}) {
  for (const std::string& param : params) {
    for (bool in_place : {false, true}) {
      LayerCase c = base;
      c.layer = "name: 'n' type: '" + type + "' bottom: 'x' top: '" + (in_place ? "x" : "y") +
                "' " + param;
      if (c.bottoms.empty()) c.bottoms = {{2, 3, 5, 7}};
      check_layer_parity(c);
    }
  }
}

}  // namespace

TEST_CASE("GPU Sigmoid and TanH match the CPU layers, in place too", "[gpu][layers][sigmoid]") {
  check_neuron("Sigmoid", {""});
  check_neuron("TanH", {""});
  LayerCase wide;  // saturated inputs: no overflow, gradients near 0
  wide.uniform_lo = -40.f;
  wide.uniform_hi = 40.f;
  wide.gradient_check = false;
  check_neuron("Sigmoid", {""}, wide);
  check_neuron("TanH", {""}, wide);
}

TEST_CASE("GPU AbsVal matches the CPU layer, in place too", "[gpu][layers][absval]") {
  check_neuron("AbsVal", {""}, kinked_case());
}

TEST_CASE("GPU Power matches the CPU layer: general, square, linear, constant",
          "[gpu][layers][power]") {
  check_neuron(
      "Power",
      {"power_param { power: 2 scale: 0.83 shift: -2.4 }", "power_param { power: 3 scale: 0.5 }",
       "power_param { power: 1 scale: 0.83 shift: -2.4 }",
       "power_param { power: 0 scale: 2 shift: 3 }", "power_param { power: 2 scale: 0 shift: 3 }"});
  // A fractional power needs a positive base: shift + scale * x in [0.75, 2.8).
  LayerCase positive;
  positive.uniform_lo = -0.3f;
  positive.uniform_hi = 2.2f;
  check_neuron("Power",
               {"power_param { power: 0.37 scale: 0.83 shift: 1 }",
                "power_param { power: -1.5 scale: 0.83 shift: 1 }"},
               positive);
}

TEST_CASE("GPU Exp matches the CPU layer: base e, base 2, shift and scale", "[gpu][layers][exp]") {
  check_neuron("Exp", {"", "exp_param { base: 2 scale: 0.5 shift: 1 }",
                       "exp_param { base: -1 scale: 0.5 shift: 1 }",
                       "exp_param { base: 3 scale: 0.3 shift: -1 }"});
}

TEST_CASE("GPU Log matches the CPU layer: base e, 2 and 10", "[gpu][layers][log]") {
  LayerCase positive;  // shift + scale * x stays at 0.5 and above
  positive.uniform_lo = 0.5f;
  positive.uniform_hi = 3.f;
  check_neuron("Log",
               {"", "log_param { base: 2 scale: 0.5 shift: 1 }", "log_param { base: 10 scale: 2 }"},
               positive);
}

TEST_CASE("GPU BNLL matches the CPU layer, large inputs too", "[gpu][layers][bnll]") {
  check_neuron("BNLL", {""});
  LayerCase wide;  // both branches of the stable form, and the gradient's exp cap
  wide.uniform_lo = -80.f;
  wide.uniform_hi = 80.f;
  wide.gradient_check = false;
  check_neuron("BNLL", {""}, wide);
}

TEST_CASE("GPU ELU matches the CPU layer: alpha default, 0.5, negative, in place",
          "[gpu][layers][elu]") {
  check_neuron("ELU", {"", "elu_param { alpha: 0.5 }", "elu_param { alpha: -0.8 }"}, kinked_case());
}

TEST_CASE("GPU PReLU matches the CPU layer: per channel, shared, slope gradient, in place",
          "[gpu][layers][prelu]") {
  const std::vector<std::string> params = {
      "prelu_param { filler { type: 'uniform' min: -0.5 max: 0.5 } }",
      "prelu_param { channel_shared: true filler { type: 'uniform' min: -0.5 max: 0.5 } }", ""};
  check_neuron("PReLU", params, kinked_case());
  LayerCase flat;  // 2-axis N x C bottoms: no spatial extent
  flat.bottoms = {{6, 5}};
  flat.grad = kinked_at_zero();
  check_neuron("PReLU", params, flat);
}

TEST_CASE("GPU Dropout in TEST matches the CPU layer, scale_train false too",
          "[gpu][layers][dropout]") {
  LayerCase test;
  test.phase = caffe::TEST;
  check_neuron("Dropout", {"", "dropout_param { dropout_ratio: 0.25 scale_train: false }"}, test);
}

}  // namespace cortado::test

namespace cortado::test {

TEST_CASE("GPU Threshold matches the CPU layer: default and set threshold, in place",
          "[gpu][layers][threshold]") {
  LayerCase at_half = kinked_case();
  at_half.grad.kink = 0.5f;
  check_neuron("Threshold", {""}, kinked_case());
  check_neuron("Threshold", {"threshold_param { threshold: 0.5 }"}, at_half);
}

TEST_CASE("GPU Clip matches the CPU layer, in place too", "[gpu][layers][clip]") {
  // Inside the range every slope is 1; past the ends, 0. The numeric check runs on
  // inputs inside, the parity check on N(0, 1) inputs that cross both ends.
  LayerCase inside;
  inside.uniform_lo = -0.9f;
  inside.uniform_hi = 1.4f;
  check_neuron("Clip", {"clip_param { min: -1 max: 1.5 }"}, inside);
  LayerCase across;
  across.gradient_check = false;
  check_neuron("Clip", {"clip_param { min: -0.5 max: 0.25 }"}, across);
}

TEST_CASE("GPU Swish matches the CPU layer: beta 1 and 1.7, in place", "[gpu][layers][swish]") {
  check_neuron("Swish", {"", "swish_param { beta: 1.7 }"});
}

}  // namespace cortado::test
