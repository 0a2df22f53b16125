// Scale and Bias: broadcast of a learned blob or of a second bottom.
#include "neuron_structural_util.hpp"

namespace cortado::test {

TEST_CASE("Scale multiplies each channel by its learned factor", "[layers][scale]") {
  Blob x({2, 2, 3}), y;
  fill_gaussian(x, 0.f, 1.f, 2);
  auto layer = make_layer(R"(type: "Scale")");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs().size() == 1);
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{2});
  require_near(values(*layer->blobs()[0]), {1.f, 1.f});  // default filler: 1
  set_values(*layer->blobs()[0], {2.f, -0.5f});
  layer->forward({&x}, {&y});
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 3; ++i) {
        const int k = (n * 2 + c) * 3 + i;
        REQUIRE(y.data()[k] == Approx(x.data()[k] * (c == 0 ? 2.f : -0.5f)));
      }
}

TEST_CASE("Scale with bias_term adds a learned bias, default 0", "[layers][scale]") {
  Blob x({2, 3}), y;
  set_values(x, {1, 2, 3, 4, 5, 6});
  auto layer = make_layer(R"(type: "Scale" scale_param { bias_term: true })");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs().size() == 2);
  require_near(values(*layer->blobs()[1]), {0.f, 0.f, 0.f});
  set_values(*layer->blobs()[0], {1.f, 2.f, 3.f});
  set_values(*layer->blobs()[1], {10.f, 20.f, 30.f});
  layer->forward({&x}, {&y});
  require_near(values(y), {11, 24, 39, 14, 30, 48});
}

TEST_CASE("Scale axis and num_axes choose the broadcast axes", "[layers][scale]") {
  Blob x({2, 3, 4}), y;
  fill_gaussian(x, 0.f, 1.f, 3);
  auto layer = make_layer(R"(type: "Scale" scale_param { axis: 1 num_axes: -1
                                filler { type: "constant" value: 3 } })");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{3, 4});
  auto last = make_layer(R"(type: "Scale" scale_param { axis: -1 })");
  last->setup({&x}, {&y});
  REQUIRE(last->blobs()[0]->shape() == std::vector<int>{4});
  auto scalar = make_layer(R"(type: "Scale" scale_param { num_axes: 0 })");
  scalar->setup({&x}, {&y});
  REQUIRE(scalar->blobs()[0]->num_axes() == 0);
  set_values(*scalar->blobs()[0], {-2.f});
  scalar->forward({&x}, {&y});
  for (int i = 0; i < x.count(); ++i) REQUIRE(y.data()[i] == Approx(-2 * x.data()[i]));
}

TEST_CASE("Scale takes the factor from a second bottom", "[layers][scale]") {
  Blob x({2, 3, 2}), s({2, 3}), y;
  fill_gaussian(x, 0.f, 1.f, 4);
  fill_gaussian(s, 0.f, 1.f, 5);
  auto layer = make_layer(R"(type: "Scale" scale_param { axis: 0 })");
  layer->setup({&x, &s}, {&y});
  REQUIRE(layer->blobs().empty());
  layer->forward({&x, &s}, {&y});
  for (int i = 0; i < x.count(); ++i) REQUIRE(y.data()[i] == Approx(x.data()[i] * s.data()[i / 2]));
  check_gradients(*layer, {&x, &s}, {&y});
}

TEST_CASE("Scale refuses a factor that does not fit the bottom", "[layers][scale]") {
  Blob x({2, 3, 2}), s({4}), y;
  auto layer = make_layer(R"(name: "sc" type: "Scale")");
  REQUIRE_THROWS_WITH(layer->setup({&x, &s}, {&y}), Catch::Contains("layer 'sc' (Scale)"));
  auto bad_axes = make_layer(R"(name: "sc" type: "Scale" scale_param { axis: 1 num_axes: 3 })");
  REQUIRE_THROWS_WITH(bad_axes->setup({&x}, {&y}), Catch::Contains("num_axes"));
}

TEST_CASE("Scale gradient matches numeric differences for input, scale and bias",
          "[layers][scale]") {
  Blob x({2, 3, 2, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 1701);
  auto layer = make_layer(R"(type: "Scale" scale_param { bias_term: true
      filler { type: "uniform" min: -1 max: 1 } bias_filler { type: "uniform" min: -1 max: 1 } })");
  layer->setup({&x}, {&y});
  check_gradients(*layer, {&x}, {&y});
  Blob s({2, 3}), y2;
  fill_gaussian(s, 0.f, 1.f, 9);
  auto with_bottom = make_layer(R"(type: "Scale" scale_param { axis: 0 bias_term: true })");
  with_bottom->setup({&x, &s}, {&y2});
  REQUIRE(with_bottom->blobs().size() == 1);  // the bias only
  check_gradients(*with_bottom, {&x, &s}, {&y2});
}

TEST_CASE("Scale in place equals out of place", "[layers][scale]") {
  check_in_place(R"(type: "Scale" scale_param { filler { type: "constant" value: 1.5 } })",
                 {2, 3, 2});
  check_in_place(R"(type: "Scale" scale_param { bias_term: true
                    filler { type: "constant" value: -0.5 }
                    bias_filler { type: "constant" value: 2 } })",
                 {2, 3, 2});
}

TEST_CASE("Bias adds a learned per-channel bias", "[layers][bias]") {
  Blob x({2, 2, 2}), y;
  set_values(x, {1, 2, 3, 4, 5, 6, 7, 8});
  auto layer = make_layer(R"(type: "Bias")");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{2});
  require_near(values(*layer->blobs()[0]), {0.f, 0.f});
  set_values(*layer->blobs()[0], {10.f, -1.f});
  layer->forward({&x}, {&y});
  require_near(values(y), {11, 12, 2, 3, 15, 16, 6, 7});
}

TEST_CASE("Bias takes the bias from a second bottom and axes from bias_param",
          "[layers][bias]") {
  Blob x({2, 3, 2}), b({3, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 4);
  fill_gaussian(b, 0.f, 1.f, 5);
  auto layer = make_layer(R"(type: "Bias" bias_param { axis: 1 })");
  layer->setup({&x, &b}, {&y});
  layer->forward({&x, &b}, {&y});
  for (int i = 0; i < x.count(); ++i) REQUIRE(y.data()[i] == Approx(x.data()[i] + b.data()[i % 6]));
  check_gradients(*layer, {&x, &b}, {&y});
  auto learned = make_layer(R"(type: "Bias" bias_param { axis: 1 num_axes: 2
                                 filler { type: "constant" value: 0.5 } })");
  learned->setup({&x}, {&y});
  REQUIRE(learned->blobs()[0]->shape() == std::vector<int>{3, 2});
  require_near(values(*learned->blobs()[0]), std::vector<float>(6, 0.5f));
}

TEST_CASE("Bias gradient matches numeric differences", "[layers][bias]") {
  Blob x({2, 3, 2, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 1701);
  auto layer = make_layer(R"(type: "Bias" bias_param { filler { type: "gaussian" } })");
  layer->setup({&x}, {&y});
  check_gradients(*layer, {&x}, {&y});
}

TEST_CASE("Bias in place equals out of place", "[layers][bias]") {
  check_in_place(R"(type: "Bias" bias_param { filler { type: "constant" value: 0.3 } })",
                 {2, 3, 2});
}

}  // namespace cortado::test
