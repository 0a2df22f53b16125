// BatchNorm: batch statistics in TRAIN, running statistics in TEST, Caffe's three blobs.
#include <cmath>

#include "neuron_structural_util.hpp"

namespace cortado::test {

namespace {
// Two items, two channels, 1x2 spatial. Channel 0 holds 1 3 | 5 7 (mean 4, variance 5),
// channel 1 holds 2 2 | 2 6 (mean 3, variance 3).
void fill_example(Blob& x) {
  x.reshape({2, 2, 1, 2});
  set_values(x, {1, 3, 2, 2, 5, 7, 2, 6});
}
}  // namespace

TEST_CASE("BatchNorm in TRAIN normalises each channel with batch statistics",
          "[layers][batchnorm]") {
  Blob x, y;
  fill_example(x);
  auto layer = make_layer(R"(type: "BatchNorm" phase: TRAIN)");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs().size() == 3);
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{2});
  REQUIRE(layer->blobs()[1]->shape() == std::vector<int>{2});
  REQUIRE(layer->blobs()[2]->shape() == std::vector<int>{1});
  layer->forward({&x}, {&y});
  const float s0 = std::sqrt(5.f + 1e-5f), s1 = std::sqrt(3.f + 1e-5f);
  require_near(values(y), {-3 / s0, -1 / s0, -1 / s1, -1 / s1, 1 / s0, 3 / s0, -1 / s1, 3 / s1});
}

TEST_CASE("BatchNorm folds batch statistics into unnormalised running sums",
          "[layers][batchnorm]") {
  Blob x, y;
  fill_example(x);
  auto layer = make_layer(R"(type: "BatchNorm" phase: TRAIN)");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  // weight 1; mean sums = batch mean; variance sums unbiased by m/(m-1) = 4/3.
  require_near(values(*layer->blobs()[2]), {1.f});
  require_near(values(*layer->blobs()[0]), {4.f, 3.f});
  require_near(values(*layer->blobs()[1]), {5.f * 4 / 3, 3.f * 4 / 3});
  layer->forward({&x}, {&y});
  require_near(values(*layer->blobs()[2]), {1.999f});
  require_near(values(*layer->blobs()[0]), {4.f * 1.999f, 3.f * 1.999f});
  require_near(values(*layer->blobs()[1]), {5.f * 4 / 3 * 1.999f, 3.f * 4 / 3 * 1.999f});
}

TEST_CASE("BatchNorm moving_average_fraction and eps are read", "[layers][batchnorm]") {
  Blob x, y;
  fill_example(x);
  auto layer = make_layer(
      R"(type: "BatchNorm" phase: TRAIN batch_norm_param { moving_average_fraction: 0.5 eps: 1 })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(*layer->blobs()[2]), {1.5f});
  require_near(values(*layer->blobs()[0]), {6.f, 4.5f});
  REQUIRE(y.data()[0] == Approx(-3 / std::sqrt(6.f)));
}

TEST_CASE("BatchNorm in TEST uses the running statistics divided by their weight",
          "[layers][batchnorm]") {
  Blob x, y;
  fill_example(x);
  for (const char* text : {R"(type: "BatchNorm" phase: TEST)",
                           R"(type: "BatchNorm" phase: TRAIN
                              batch_norm_param { use_global_stats: true })"}) {
    auto layer = make_layer(text);
    layer->setup({&x}, {&y});
    set_values(*layer->blobs()[0], {8.f, 6.f});   // mean 4, 3
    set_values(*layer->blobs()[1], {4.f, 18.f});  // variance 2, 9
    set_values(*layer->blobs()[2], {2.f});
    layer->forward({&x}, {&y});
    const float s0 = std::sqrt(2.f + 1e-5f), s1 = std::sqrt(9.f + 1e-5f);
    require_near(values(y), {-3 / s0, -1 / s0, -1 / s1, -1 / s1, 1 / s0, 3 / s0, -1 / s1, 3 / s1});
    // Fixed statistics are never updated.
    require_near(values(*layer->blobs()[2]), {2.f});
  }
}

TEST_CASE("BatchNorm use_global_stats false in TEST uses the batch", "[layers][batchnorm]") {
  Blob x, y;
  fill_example(x);
  auto layer =
      make_layer(R"(type: "BatchNorm" phase: TEST batch_norm_param { use_global_stats: false })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  REQUIRE(y.data()[0] == Approx(-3 / std::sqrt(5.f)).epsilon(1e-4));
}

TEST_CASE("BatchNorm pins its statistics' lr_mult to 0", "[layers][batchnorm]") {
  Blob x, y;
  fill_example(x);
  auto layer = make_layer(R"(type: "BatchNorm")");
  layer->setup({&x}, {&y});
  REQUIRE(layer->layer_param().param_size() == 3);
  for (const auto& spec : layer->layer_param().param()) REQUIRE(spec.lr_mult() == 0.f);
  auto bad = make_layer(R"(name: "bn" type: "BatchNorm" param { lr_mult: 1 })");
  REQUIRE_THROWS_WITH(bad->setup({&x}, {&y}), Catch::Contains("layer 'bn' (BatchNorm)"));
}

TEST_CASE("BatchNorm gradient matches numeric differences", "[layers][batchnorm]") {
  for (const char* text : {R"(type: "BatchNorm" phase: TRAIN)",
                           R"(type: "BatchNorm" phase: TRAIN
                              batch_norm_param { use_global_stats: true })"}) {
    Blob x({3, 2, 2, 3}), y;
    fill_gaussian(x, 1.f, 2.f, 1701);
    auto layer = make_layer(text);
    layer->setup({&x}, {&y});
    set_values(*layer->blobs()[0], {1.f, -2.f});
    set_values(*layer->blobs()[1], {3.f, 0.5f});
    set_values(*layer->blobs()[2], {1.f});
    GradCheck opts;
    opts.check_params = false;  // statistics, not learned
    check_gradients(*layer, {&x}, {&y}, opts);
  }
}

TEST_CASE("BatchNorm works on 2-axis bottoms (N x C)", "[layers][batchnorm]") {
  Blob x({4, 3}), y;
  fill_gaussian(x, 0.f, 1.f, 12);
  auto layer = make_layer(R"(type: "BatchNorm" phase: TRAIN)");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  for (int c = 0; c < 3; ++c) {
    double mean = 0, sq = 0;
    for (int n = 0; n < 4; ++n) mean += y.data()[n * 3 + c];
    for (int n = 0; n < 4; ++n) sq += y.data()[n * 3 + c] * y.data()[n * 3 + c];
    REQUIRE(mean / 4 == Approx(0).margin(1e-5));
    REQUIRE(sq / 4 == Approx(1).epsilon(1e-3));
  }
  GradCheck opts;
  opts.check_params = false;
  check_gradients(*layer, {&x}, {&y}, opts);
}

TEST_CASE("BatchNorm in place equals out of place", "[layers][batchnorm]") {
  check_in_place(R"(type: "BatchNorm" phase: TRAIN)", {3, 2, 2, 2});
  check_in_place(R"(type: "BatchNorm" phase: TEST)", {3, 2, 2, 2});
}

}  // namespace cortado::test
