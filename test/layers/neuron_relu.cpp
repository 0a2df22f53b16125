// ReLU and PReLU.
#include "neuron_structural_util.hpp"

namespace cortado::test {

TEST_CASE("ReLU forward clamps negatives to zero", "[layers][relu]") {
  Blob x({1, 1, 2, 3}), y;
  set_values(x, {-2.f, -0.5f, 0.f, 0.5f, 1.f, 3.f});
  auto layer = make_layer(R"(type: "ReLU")");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == x.shape());
  require_near(values(y), {0.f, 0.f, 0.f, 0.5f, 1.f, 3.f});
}

TEST_CASE("ReLU negative_slope scales negatives (leaky ReLU)", "[layers][relu]") {
  Blob x({4}), y;
  set_values(x, {-2.f, -1.f, 0.5f, 4.f});
  auto layer = make_layer(R"(type: "ReLU" relu_param { negative_slope: 0.1 })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), {-0.2f, -0.1f, 0.5f, 4.f});
  set_values(y, {0, 0, 0, 0});
  std::fill(y.mutable_diff(), y.mutable_diff() + 4, 1.f);
  layer->backward({&y}, {true}, {&x});
  require_near(diffs(x), {0.1f, 0.1f, 1.f, 1.f});
}

TEST_CASE("ReLU gradient matches numeric differences", "[layers][relu]") {
  for (float slope : {0.f, 0.01f, -0.5f}) {
    Blob x({2, 3, 3, 4}), y;
    fill_gaussian(x, 0.f, 1.f, 1701);
    auto layer = make_layer("type: 'ReLU' relu_param { negative_slope: " +
                            std::to_string(slope) + " }");
    layer->setup({&x}, {&y});
    GradCheck opts;
    opts.kink = 0.f;
    opts.kink_range = 0.02f;
    check_gradients(*layer, {&x}, {&y}, opts);
  }
}

TEST_CASE("ReLU in place equals out of place", "[layers][relu]") {
  check_in_place(R"(type: "ReLU")", {2, 3, 4});
  check_in_place(R"(type: "ReLU" relu_param { negative_slope: 0.2 })", {2, 3, 4});
  check_in_place(R"(type: "ReLU" relu_param { negative_slope: -0.7 })", {2, 3, 4});
}

TEST_CASE("PReLU forward uses one slope per channel, default 0.25", "[layers][prelu]") {
  Blob x({1, 2, 1, 2}), y;
  set_values(x, {-4.f, 2.f, -8.f, 1.f});
  auto layer = make_layer(R"(type: "PReLU")");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs().size() == 1);
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{2});
  require_near(values(*layer->blobs()[0]), {0.25f, 0.25f});
  set_values(*layer->blobs()[0], {0.5f, 0.1f});
  layer->forward({&x}, {&y});
  require_near(values(y), {-2.f, 2.f, -0.8f, 1.f});
}

TEST_CASE("PReLU channel_shared keeps one scalar slope", "[layers][prelu]") {
  Blob x({2, 3, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 3);
  auto layer = make_layer(R"(type: "PReLU" prelu_param { channel_shared: true })");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs()[0]->num_axes() == 0);
  REQUIRE(layer->blobs()[0]->count() == 1);
  set_values(*layer->blobs()[0], {-1.f});
  layer->forward({&x}, {&y});
  for (int i = 0; i < x.count(); ++i) REQUIRE(y.data()[i] == Approx(std::fabs(x.data()[i])));
}

TEST_CASE("PReLU filler sets the initial slopes", "[layers][prelu]") {
  Blob x({2, 3}), y;
  auto layer = make_layer(R"(type: "PReLU" prelu_param { filler { type: "constant" value: 0.6 } })");
  layer->setup({&x}, {&y});
  require_near(values(*layer->blobs()[0]), {0.6f, 0.6f, 0.6f});
}

TEST_CASE("PReLU refuses a bottom with fewer than 2 axes", "[layers][prelu]") {
  Blob x({5}), y;
  auto layer = make_layer(R"(name: "p" type: "PReLU")");
  REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 'p' (PReLU)"));
}

TEST_CASE("PReLU gradient matches numeric differences for input and slopes", "[layers][prelu]") {
  for (const char* shared : {"false", "true"}) {
    Blob x({2, 3, 2, 3}), y;
    fill_gaussian(x, 0.f, 1.f, 1701);
    auto layer = make_layer(std::string("type: 'PReLU' prelu_param { channel_shared: ") + shared +
                            " filler { type: 'uniform' min: -0.5 max: 0.5 } }");
    layer->setup({&x}, {&y});
    GradCheck opts;
    opts.kink_range = 0.02f;
    check_gradients(*layer, {&x}, {&y}, opts);
  }
}

TEST_CASE("PReLU in place equals out of place, slope gradient included", "[layers][prelu]") {
  check_in_place(R"(type: "PReLU")", {2, 3, 2, 2});
  check_in_place(R"(type: "PReLU" prelu_param { channel_shared: true })", {2, 3, 2});
}

}  // namespace cortado::test
