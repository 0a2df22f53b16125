// Threshold, Clip and Swish: forward against hand-worked values and the formula,
// backward against numeric differences, in place against out of place, bad params.
#include <cmath>

#include "neuron_structural_util.hpp"

namespace cortado::test {

namespace {

// y for x = {-2, -0.5, 0, 0.5, 1, 3} through the layer.
std::vector<float> run_on_six(const std::string& text, std::vector<float>* dx = nullptr,
                              const std::vector<float>& dy = {}) {
  Blob x({1, 6}), y;
  set_values(x, {-2.f, -0.5f, 0.f, 0.5f, 1.f, 3.f});
  auto layer = make_layer(text);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  if (dx) {
    std::copy(dy.begin(), dy.end(), y.mutable_diff());
    x.set_diff(42.f);  // backward must overwrite
    layer->backward({&y}, {true}, {&x});
    *dx = diffs(x);
  }
  return values(y);
}

}  // namespace

TEST_CASE("Threshold outputs 1 strictly above the threshold and 0 elsewhere",
          "[layers][threshold]") {
  require_near(run_on_six(R"(type: "Threshold")"), {0, 0, 0, 1, 1, 1});
  require_near(run_on_six(R"(type: "Threshold" threshold_param { threshold: 0.5 })"),
               {0, 0, 0, 0, 1, 1});
  require_near(run_on_six(R"(type: "Threshold" threshold_param { threshold: -1 })"),
               {0, 1, 1, 1, 1, 1});
}

TEST_CASE("Threshold's gradient is zero, in place too", "[layers][threshold]") {
  std::vector<float> dx;
  run_on_six(R"(type: "Threshold")", &dx, {1, 2, 3, 4, 5, 6});
  require_near(dx, {0, 0, 0, 0, 0, 0});
  check_in_place(R"(type: "Threshold" threshold_param { threshold: 0.1 })", {2, 3, 4});
}

TEST_CASE("Clip bounds the values and passes the gradient between the ends, ends included",
          "[layers][clip]") {
  std::vector<float> dx;
  const auto y =
      run_on_six(R"(type: "Clip" clip_param { min: -0.5 max: 1 })", &dx, {1, 2, 3, 4, 5, 6});
  require_near(y, {-0.5f, -0.5f, 0, 0.5f, 1, 1});
  require_near(dx, {0, 2, 3, 4, 5, 0});
}

TEST_CASE("Clip's gradient matches numeric differences away from the ends, in place too",
          "[layers][clip]") {
  Blob x({2, 3, 4}), y;
  fill_uniform(x, -2.f, 2.f, 3);
  float* v = x.mutable_data();
  for (int i = 0; i < x.count(); ++i)  // keep every input off the two kinks
    if (std::fabs(v[i] + 1.f) < 0.05f || std::fabs(v[i] - 1.5f) < 0.05f) v[i] += 0.1f;
  auto layer = make_layer(R"(type: "Clip" clip_param { min: -1 max: 1.5 })");
  layer->setup({&x}, {&y});
  check_gradients(*layer, {&x}, {&y});
  check_in_place(R"(type: "Clip" clip_param { min: -0.3 max: 0.4 })", {2, 3, 4});
}

TEST_CASE("Clip without both ends, or with min above max, names the layer", "[layers][clip]") {
  for (const char* text : {R"(name: "c" type: "Clip")", R"(name: "c" type: "Clip"
                                                           clip_param { min: 1 max: 0 })"}) {
    Blob x({2, 3}), y;
    auto layer = make_layer(text);
    REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 'c' (Clip)"));
  }
}

TEST_CASE("Swish is x * sigmoid(beta x)", "[layers][swish]") {
  for (float beta : {1.f, 1.7f, -0.5f}) {
    const auto y = run_on_six(std::string(R"(type: "Swish" swish_param { beta: )") +
                              std::to_string(beta) + " }");
    const float xs[] = {-2.f, -0.5f, 0.f, 0.5f, 1.f, 3.f};
    for (int i = 0; i < 6; ++i) {
      INFO("beta " << beta << " x " << xs[i]);
      REQUIRE(y[i] == Approx(xs[i] / (1 + std::exp(-beta * xs[i]))).epsilon(1e-6).margin(1e-7));
    }
  }
}

TEST_CASE("Swish's gradient matches numeric differences, in place too", "[layers][swish]") {
  for (const char* text : {R"(type: "Swish")", R"(type: "Swish" swish_param { beta: 1.7 })"}) {
    Blob x({2, 3, 4}), y;
    fill_uniform(x, -4.f, 4.f, 9);
    auto layer = make_layer(text);
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
    check_in_place(text, {2, 3, 4});
  }
}

}  // namespace cortado::test
