// MVN, Reduction and Tile: hand-worked forward values and shapes, numeric gradient
// checks of every mode, in place where allowed, bad parameters.
#include <cmath>
#include <memory>

#include "neuron_structural_util.hpp"

namespace cortado::test {

TEST_CASE("MVN normalises each item's channel by its mean and standard deviation",
          "[layers][mvn]") {
  Blob x({1, 2, 1, 4}), y;
  set_values(x, {1, 2, 3, 4, 10, 10, 10, 14});
  auto layer = make_layer(R"(type: "MVN")");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  // Channel 0: mean 2.5, variance 1.25. Channel 1: mean 11, variance 3.
  const float s0 = std::sqrt(1.25f), s1 = std::sqrt(3.f);
  require_near(values(y),
               {-1.5f / s0, -0.5f / s0, 0.5f / s0, 1.5f / s0, -1 / s1, -1 / s1, -1 / s1, 3 / s1});
}

TEST_CASE(
    "MVN across channels takes one mean and deviation per item; centring only skips the "
    "division",
    "[layers][mvn]") {
  Blob x({2, 2, 1, 1}), y;
  set_values(x, {1, 3, 5, 5});
  auto across = make_layer(R"(type: "MVN" mvn_param { across_channels: true })");
  across->setup({&x}, {&y});
  across->forward({&x}, {&y});
  // Item 0: mean 2, deviation 1. Item 1: mean 5, deviation 0 (y 0, not NaN: eps).
  require_near(values(y), {-1, 1, 0, 0});
  auto centre = make_layer(R"(type: "MVN" mvn_param { normalize_variance: false })");
  Blob z({1, 1, 1, 3});
  set_values(z, {1, 2, 6});
  Blob w;
  centre->setup({&z}, {&w});
  centre->forward({&z}, {&w});
  require_near(values(w), {-2, -1, 3});
}

TEST_CASE("MVN's eps is added to the standard deviation", "[layers][mvn]") {
  Blob x({1, 1, 1, 2}), y;
  set_values(x, {0, 2});
  auto layer = make_layer(R"(type: "MVN" mvn_param { eps: 1 })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), {-0.5f, 0.5f});  // (x - 1) / (1 + 1)
}

TEST_CASE("MVN's gradient matches numeric differences in every mode, in place too",
          "[layers][mvn]") {
  for (const char* text :
       {R"(type: "MVN")", R"(type: "MVN" mvn_param { across_channels: true })",
        R"(type: "MVN" mvn_param { normalize_variance: false })",
        R"(type: "MVN" mvn_param { normalize_variance: false across_channels: true })"}) {
    INFO(text);
    Blob x({2, 3, 2, 3}), y;
    fill_gaussian(x, 0.5f, 2.f, 21);
    auto layer = make_layer(text);
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
    check_in_place(text, {2, 3, 2, 3});
  }
}

TEST_CASE("Reduction keeps the axes before its axis and reduces the rest", "[layers][reduction]") {
  Blob x({2, 3}), y;
  set_values(x, {1, -2, 3, -4, 5, 6});
  struct Case {
    const char* param;
    std::vector<int> shape;
    std::vector<float> want;
  };
  for (const Case& c : std::vector<Case>{
           {"", {}, {9}},
           {"operation: SUM axis: 1", {2}, {2, 7}},
           {"operation: ASUM axis: -1", {2}, {6, 15}},
           {"operation: SUMSQ axis: 1", {2}, {14, 77}},
           {"operation: MEAN axis: 1", {2}, {2.f / 3, 7.f / 3}},
           {"operation: MEAN", {}, {1.5f}},
           {"operation: SUM axis: 1 coeff: -2", {2}, {-4, -14}},
           {"operation: MEAN axis: 1 coeff: 3", {2}, {2, 7}},
       }) {
    INFO(c.param);
    auto layer =
        make_layer(std::string(R"(type: "Reduction" reduction_param { )") + c.param + " }");
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    REQUIRE(y.shape() == c.shape);
    require_near(values(y), c.want);
  }
}

TEST_CASE("Reduction's gradient matches numeric differences for each operation",
          "[layers][reduction]") {
  for (const char* op : {"SUM", "ASUM", "SUMSQ", "MEAN"})
    for (const char* axis : {"0", "1", "2"}) {
      const std::string text = std::string(R"(type: "Reduction" reduction_param { operation: )") +
                               op + " axis: " + axis + " coeff: 1.5 }";
      INFO(text);
      Blob x({2, 3, 4}), y;
      fill_gaussian(x, 0.f, 1.f, 5);
      auto layer = make_layer(text);
      layer->setup({&x}, {&y});
      GradCheck g;
      g.kink = 0.f;  // |x| (ASUM)
      g.kink_range = 0.02f;
      check_gradients(*layer, {&x}, {&y}, g);
    }
}

TEST_CASE("Reduction with an axis out of range, or in place, names the layer",
          "[layers][reduction]") {
  Blob x({2, 3}), y;
  auto far = make_layer(R"(name: "r" type: "Reduction" reduction_param { axis: 2 })");
  REQUIRE_THROWS_WITH(far->setup({&x}, {&y}),
                      Catch::Contains("layer 'r' (Reduction)") && Catch::Contains("axis 2"));
  auto self = make_layer(R"(name: "r" type: "Reduction")");
  REQUIRE_THROWS_WITH(self->setup({&x}, {&x}), Catch::Contains("in place"));
}

TEST_CASE("Tile repeats the blocks from its axis on", "[layers][tile]") {
  Blob x({2, 2}), y;
  set_values(x, {1, 2, 3, 4});
  auto cols = make_layer(R"(type: "Tile" tile_param { tiles: 3 })");
  cols->setup({&x}, {&y});
  cols->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 6});
  require_near(values(y), {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  auto rows = make_layer(R"(type: "Tile" tile_param { axis: 0 tiles: 2 })");
  rows->setup({&x}, {&y});
  rows->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{4, 2});
  require_near(values(y), {1, 2, 3, 4, 1, 2, 3, 4});
}

TEST_CASE("Tile's backward sums the copies' diffs", "[layers][tile]") {
  Blob x({2, 2}), y;
  auto layer = make_layer(R"(type: "Tile" tile_param { tiles: 2 })");
  layer->setup({&x}, {&y});
  set_values(y, {0, 0, 0, 0, 0, 0, 0, 0});
  std::vector<float> dy = {1, 2, 10, 20, 3, 4, 30, 40};
  std::copy(dy.begin(), dy.end(), y.mutable_diff());
  layer->backward({&y}, {true}, {&x});
  require_near(diffs(x), {11, 22, 33, 44});
  for (const char* text : {R"(type: "Tile" tile_param { tiles: 3 })",
                           R"(type: "Tile" tile_param { axis: -1 tiles: 2 })",
                           R"(type: "Tile" tile_param { axis: 0 tiles: 2 })"}) {
    Blob a({2, 3, 2}), b;
    fill_gaussian(a, 0.f, 1.f, 3);
    auto t = make_layer(text);
    t->setup({&a}, {&b});
    check_gradients(*t, {&a}, {&b});
  }
}

TEST_CASE("Tile without tiles, or with an axis out of range, names the layer", "[layers][tile]") {
  Blob x({2, 3}), y;
  for (const char* text :
       {R"(name: "t" type: "Tile")", R"(name: "t" type: "Tile" tile_param { tiles: 0 })",
        R"(name: "t" type: "Tile" tile_param { tiles: 2 axis: 2 })"}) {
    auto layer = make_layer(text);
    REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 't' (Tile)"));
  }
}

}  // namespace cortado::test

namespace cortado::test {

TEST_CASE("layers that reshape or overwrite their top while reading the bottom refuse in place",
          "[layers][in_place]") {
  struct Case {
    const char* text;
    int bottoms;
  };
  for (const Case& c : std::vector<Case>{
           {"type: 'Reduction'", 1},
           {"type: 'Tile' tile_param { tiles: 2 }", 1},
           {"type: 'BatchReindex'", 2},
           {"type: 'Filter'", 2},
           {"type: 'Embed' embed_param { num_output: 2 input_dim: 3 }", 1},
           {"type: 'Im2col' convolution_param { kernel_size: 1 }", 1},
           {"type: 'SPP' spp_param { pyramid_height: 1 }", 1},
           {"type: 'LSTMUnit'", 3},
           {"type: 'LSTM' recurrent_param { num_output: 2 }", 2},
           {"type: 'RNN' recurrent_param { num_output: 2 }", 2},
           {"type: 'HingeLoss'", 2},
           {"type: 'MultinomialLogisticLoss'", 2},
           {"type: 'InfogainLoss'", 3},
           {"type: 'ContrastiveLoss'", 3},
       }) {
    INFO(c.text);
    std::vector<std::unique_ptr<Blob>> blobs;
    BlobVec bottom;
    for (int i = 0; i < c.bottoms; ++i) {
      blobs.push_back(std::make_unique<Blob>(std::vector<int>{2, 3, 1, 1}));
      bottom.push_back(blobs.back().get());
    }
    const int tops = std::string(c.text).find("LSTMUnit") != std::string::npos ? 2 : 1;
    const BlobVec top(bottom.begin(), bottom.begin() + tops);
    auto layer = make_layer(std::string("name: 'l' ") + c.text);
    REQUIRE_THROWS_WITH(layer->setup(bottom, top),
                        Catch::Contains("layer 'l'") && Catch::Contains("cannot run in place"));
  }
  // Neuron-like layers still may.
  check_in_place(R"(type: "MVN")", {2, 3, 2, 2});
}

}  // namespace cortado::test
