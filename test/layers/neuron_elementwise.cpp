// ELU, Sigmoid, TanH, AbsVal, Power, Exp, Log, BNLL: forward against the formula
// element by element, backward against numeric differences, in place against
// out of place.
#include <cmath>
#include <functional>

#include "neuron_structural_util.hpp"

namespace cortado::test {

namespace {

// Forward on inputs from `fill` compared with `f` applied element by element.
void check_forward(const std::string& text, const std::function<double(double)>& f,
                   float lo = -3.f, float hi = 3.f) {
  Blob x({2, 3, 2, 2}), y;
  fill_uniform(x, lo, hi, 11);
  auto layer = make_layer(text);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == x.shape());
  for (int i = 0; i < x.count(); ++i) {
    INFO(text << " at x = " << x.data()[i]);
    REQUIRE(y.data()[i] == Approx(f(x.data()[i])).epsilon(1e-5).margin(1e-6));
  }
}

void check_gradient(const std::string& text, float lo, float hi, GradCheck opts = {}) {
  Blob x({2, 3, 2, 2}), y;
  fill_uniform(x, lo, hi, 1701);
  auto layer = make_layer(text);
  layer->setup({&x}, {&y});
  check_gradients(*layer, {&x}, {&y}, opts);
}

// In place on inputs of the given sign range (Log and fractional Power need a positive base).
void check_in_place_positive(const std::string& text) {
  Blob x({2, 3, 4}), y, dy({2, 3, 4});
  fill_uniform(x, 0.5f, 2.f, 5);
  fill_gaussian(dy, 0.f, 1.f, 6);
  auto apart = make_layer(text);
  apart->setup({&x}, {&y});
  apart->forward({&x}, {&y});
  std::copy(dy.data(), dy.data() + dy.count(), y.mutable_diff());
  apart->backward({&y}, {true}, {&x});
  Blob z({2, 3, 4});
  std::copy(x.data(), x.data() + x.count(), z.mutable_data());
  auto inplace = make_layer(text);
  inplace->setup({&z}, {&z});
  inplace->forward({&z}, {&z});
  require_near(values(z), values(y));
  std::copy(dy.data(), dy.data() + dy.count(), z.mutable_diff());
  inplace->backward({&z}, {true}, {&z});
  require_near(diffs(z), diffs(x));
}

}  // namespace

TEST_CASE("ELU forward is x above 0 and alpha*(exp(x)-1) below", "[layers][elu]") {
  check_forward(R"(type: "ELU")", [](double x) { return x > 0 ? x : std::exp(x) - 1; });
  check_forward(R"(type: "ELU" elu_param { alpha: 0.5 })",
                [](double x) { return x > 0 ? x : 0.5 * (std::exp(x) - 1); });
}

TEST_CASE("ELU gradient and in place", "[layers][elu]") {
  GradCheck opts;
  opts.kink_range = 0.02f;
  check_gradient(R"(type: "ELU" elu_param { alpha: 0.5 })", -3.f, 3.f, opts);
  check_gradient(R"(type: "ELU" elu_param { alpha: -0.8 })", -3.f, 3.f, opts);
  check_in_place(R"(type: "ELU")", {2, 3, 4});
  check_in_place(R"(type: "ELU" elu_param { alpha: -0.8 })", {2, 3, 4});
}

TEST_CASE("Sigmoid forward, gradient and in place", "[layers][sigmoid]") {
  check_forward(R"(type: "Sigmoid")", [](double x) { return 1 / (1 + std::exp(-x)); });
  check_gradient(R"(type: "Sigmoid")", -4.f, 4.f);
  check_in_place(R"(type: "Sigmoid")", {2, 3, 4});
}

TEST_CASE("Sigmoid saturates without overflow", "[layers][sigmoid]") {
  Blob x({3}), y;
  set_values(x, {-1000.f, 0.f, 1000.f});
  auto layer = make_layer(R"(type: "Sigmoid")");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), {0.f, 0.5f, 1.f});
}

TEST_CASE("TanH forward, gradient and in place", "[layers][tanh]") {
  check_forward(R"(type: "TanH")", [](double x) { return std::tanh(x); });
  check_gradient(R"(type: "TanH")", -2.f, 2.f);
  check_in_place(R"(type: "TanH")", {2, 3, 4});
}

TEST_CASE("AbsVal forward, gradient and in place", "[layers][absval]") {
  check_forward(R"(type: "AbsVal")", [](double x) { return std::fabs(x); });
  GradCheck opts;
  opts.kink_range = 0.02f;
  check_gradient(R"(type: "AbsVal")", -3.f, 3.f, opts);
  check_in_place(R"(type: "AbsVal")", {2, 3, 4});
}

TEST_CASE("Power forward is (shift + scale * x)^power", "[layers][power]") {
  check_forward(R"(type: "Power" power_param { power: 0.37 scale: 0.83 shift: 4.5 })",
                [](double x) { return std::pow(4.5 + 0.83 * x, 0.37); });
  check_forward(R"(type: "Power" power_param { power: 2 scale: 0.83 shift: -2.4 })",
                [](double x) { return std::pow(-2.4 + 0.83 * x, 2); });
  check_forward(R"(type: "Power" power_param { power: 1 scale: 3 shift: -1 })",
                [](double x) { return 3 * x - 1; });
  check_forward(R"(type: "Power" power_param { power: 3 scale: 0.5 })",
                [](double x) { return std::pow(0.5 * x, 3); });
}

TEST_CASE("Power with power or scale 0 ignores the input", "[layers][power]") {
  check_forward(R"(type: "Power" power_param { power: 0 scale: 2 shift: 3 })",
                [](double) { return 1.0; });
  check_forward(R"(type: "Power" power_param { power: 2 scale: 0 shift: 3 })",
                [](double) { return 9.0; });
  GradCheck opts;
  check_gradient(R"(type: "Power" power_param { power: 0 scale: 2 shift: 3 })", -1.f, 1.f, opts);
}

TEST_CASE("Power gradient and in place", "[layers][power]") {
  check_gradient(R"(type: "Power" power_param { power: 0.37 scale: 0.83 shift: 4.5 })", -2.f, 2.f);
  check_gradient(R"(type: "Power" power_param { power: 2 scale: 0.83 shift: -2.4 })", -2.f, 2.f);
  check_gradient(R"(type: "Power" power_param { power: 1 scale: 0.83 shift: -2.4 })", -2.f, 2.f);
  check_gradient(R"(type: "Power" power_param { power: 3 scale: 0.5 })", -2.f, 2.f);
  check_in_place_positive(R"(type: "Power" power_param { power: 0.37 scale: 0.83 shift: 1 })");
  check_in_place(R"(type: "Power" power_param { power: 2 scale: 0.83 shift: -2.4 })", {2, 3, 4});
  check_in_place(R"(type: "Power" power_param { power: 3 scale: 0.5 })", {2, 3, 4});
}

TEST_CASE("Exp forward is base^(shift + scale * x)", "[layers][exp]") {
  check_forward(R"(type: "Exp")", [](double x) { return std::exp(x); });
  check_forward(R"(type: "Exp" exp_param { base: 2 scale: 0.5 shift: 1 })",
                [](double x) { return std::pow(2.0, 1 + 0.5 * x); });
  check_forward(R"(type: "Exp" exp_param { base: -1 scale: 0.5 shift: 1 })",
                [](double x) { return std::exp(1 + 0.5 * x); });
}

TEST_CASE("Exp gradient, in place, and a bad base", "[layers][exp]") {
  check_gradient(R"(type: "Exp" exp_param { base: 2 scale: 0.5 shift: 1 })", -2.f, 2.f);
  check_gradient(R"(type: "Exp")", -2.f, 2.f);
  check_in_place(R"(type: "Exp" exp_param { base: 3 scale: 0.3 shift: -1 })", {2, 3, 4});
  Blob x({2}), y;
  auto layer = make_layer(R"(name: "e" type: "Exp" exp_param { base: -2 })");
  REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 'e' (Exp)"));
}

TEST_CASE("Log forward is log_base(shift + scale * x)", "[layers][log]") {
  check_forward(R"(type: "Log")", [](double x) { return std::log(x); }, 0.1f, 4.f);
  check_forward(R"(type: "Log" log_param { base: 2 scale: 0.5 shift: 1 })",
                [](double x) { return std::log2(1 + 0.5 * x); }, 0.1f, 4.f);
  check_forward(R"(type: "Log" log_param { base: 10 scale: 2 shift: -0.1 })",
                [](double x) { return std::log10(-0.1 + 2 * x); }, 0.1f, 4.f);
}

TEST_CASE("Log gradient and in place", "[layers][log]") {
  check_gradient(R"(type: "Log")", 0.5f, 3.f);
  check_gradient(R"(type: "Log" log_param { base: 2 scale: 0.5 shift: 1 })", 0.5f, 3.f);
  check_in_place_positive(R"(type: "Log" log_param { base: 2 scale: 0.5 shift: 1 })");
}

TEST_CASE("BNLL forward is log(1 + exp(x)), stable for large x", "[layers][bnll]") {
  check_forward(R"(type: "BNLL")", [](double x) { return std::log1p(std::exp(x)); }, -5.f, 5.f);
  Blob x({2}), y;
  set_values(x, {100.f, -100.f});
  auto layer = make_layer(R"(type: "BNLL")");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), {100.f, 0.f});
}

TEST_CASE("BNLL gradient and in place", "[layers][bnll]") {
  check_gradient(R"(type: "BNLL")", -3.f, 3.f);
  check_in_place(R"(type: "BNLL")", {2, 3, 4});
}

}  // namespace cortado::test
