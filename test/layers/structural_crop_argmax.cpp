// Crop, ArgMax and Silence.
#include "neuron_structural_util.hpp"

namespace cortado::test {

TEST_CASE("Crop cuts spatial axes at one offset", "[layers][crop]") {
  Blob x({1, 1, 4, 4}), like({1, 1, 2, 3}), y;
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  set_values(x, v);
  auto layer = make_layer(R"(type: "Crop" crop_param { offset: 1 })");
  layer->setup({&x, &like}, {&y});
  REQUIRE(y.shape() == std::vector<int>{1, 1, 2, 3});
  layer->forward({&x, &like}, {&y});
  require_near(values(y), {5, 6, 7, 9, 10, 11});
}

TEST_CASE("Crop with an offset per axis from axis 1", "[layers][crop]") {
  Blob x({2, 3, 4, 5}), like({9, 2, 2, 3}), y;
  fill_gaussian(x, 0.f, 1.f, 1);
  auto layer = make_layer(R"(type: "Crop" crop_param { axis: 1 offset: 1 offset: 2 offset: 0 })");
  layer->setup({&x, &like}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 2, 2, 3});
  layer->forward({&x, &like}, {&y});
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 3; ++w)
          REQUIRE(y.data()[y.offset(n, c, h, w)] == x.data()[x.offset(n, c + 1, h + 2, w)]);
}

TEST_CASE("Crop default axis 2 with no offset keeps the corner", "[layers][crop]") {
  Blob x({2, 3, 4, 5}), like({1, 1, 3, 3}), y;
  fill_gaussian(x, 0.f, 1.f, 2);
  auto layer = make_layer(R"(type: "Crop")");
  layer->setup({&x, &like}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 3, 3, 3});
  layer->forward({&x, &like}, {&y});
  REQUIRE(y.data()[y.offset(1, 2, 2, 2)] == x.data()[x.offset(1, 2, 2, 2)]);
}

TEST_CASE("Crop gradient fills the crop window and zeroes the rest", "[layers][crop]") {
  Blob x({2, 2, 4, 4}), like({2, 2, 2, 3}), y;
  fill_gaussian(x, 0.f, 1.f, 1701);
  auto layer = make_layer(R"(type: "Crop" crop_param { offset: 1 })");
  layer->setup({&x, &like}, {&y});
  GradCheck opts;
  opts.bottoms = {0};
  check_gradients(*layer, {&x, &like}, {&y}, opts);
}

TEST_CASE("Crop refuses windows that do not fit", "[layers][crop]") {
  Blob x({1, 1, 4, 4}), like({1, 1, 3, 3}), y;
  auto layer = make_layer(R"(name: "c" type: "Crop" crop_param { offset: 2 })");
  REQUIRE_THROWS_WITH(layer->setup({&x, &like}, {&y}), Catch::Contains("layer 'c' (Crop)"));
  auto count = make_layer(R"(name: "c" type: "Crop" crop_param { offset: 0 offset: 0 offset: 0 })");
  REQUIRE_THROWS_WITH(count->setup({&x, &like}, {&y}), Catch::Contains("offsets"));
}

TEST_CASE("ArgMax without axis ranks each item's values", "[layers][argmax]") {
  Blob x({2, 5}), y;
  set_values(x, {0.1f, 0.7f, 0.2f, 0.9f, 0.3f, 5, 4, 3, 2, 1});
  auto top1 = make_layer(R"(type: "ArgMax")");
  top1->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 1, 1});
  top1->forward({&x}, {&y});
  require_near(values(y), {3, 0});
  auto top2 = make_layer(R"(type: "ArgMax" argmax_param { top_k: 2 out_max_val: true })");
  top2->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 2, 2});
  top2->forward({&x}, {&y});
  // Per item: indices, then values.
  require_near(values(y), {3, 1, 0.9f, 0.7f, 0, 1, 5, 4});
}

TEST_CASE("ArgMax along an axis keeps the other axes", "[layers][argmax]") {
  Blob x({2, 3, 2}), y;
  set_values(x, {1, 6, 3, 5, 2, 4,  //
                 9, 0, 8, 1, 7, 2});
  auto layer = make_layer(R"(type: "ArgMax" argmax_param { axis: 1 })");
  layer->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 1, 2});
  layer->forward({&x}, {&y});
  require_near(values(y), {1, 0, 0, 2});
  auto values_k2 = make_layer(R"(type: "ArgMax" argmax_param { axis: -2 top_k: 2 out_max_val: true })");
  values_k2->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 2, 2});
  values_k2->forward({&x}, {&y});
  require_near(values(y), {3, 6, 2, 5, 9, 2, 8, 1});
}

TEST_CASE("ArgMax ties rank the larger index first, as Caffe", "[layers][argmax]") {
  Blob x({1, 4}), y;
  set_values(x, {2, 7, 7, 1});
  auto layer = make_layer(R"(type: "ArgMax" argmax_param { top_k: 2 })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), {2, 1});
}

TEST_CASE("ArgMax refuses top_k beyond the ranked values and has no backward",
          "[layers][argmax]") {
  Blob x({2, 3}), y;
  auto layer = make_layer(R"(name: "am" type: "ArgMax" argmax_param { top_k: 4 })");
  REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 'am' (ArgMax)"));
  auto ok = make_layer(R"(name: "am" type: "ArgMax")");
  ok->setup({&x}, {&y});
  REQUIRE_FALSE(ok->allow_force_backward(0));
  REQUIRE_THROWS_WITH(ok->backward({&y}, {true}, {&x}), Catch::Contains("no gradient"));
  REQUIRE_NOTHROW(ok->backward({&y}, {false}, {&x}));
}

TEST_CASE("Silence takes bottoms, produces nothing and zeroes their diffs", "[layers][silence]") {
  Blob a({2, 3}), b({4}), y;
  a.set_diff(5.f);
  b.set_diff(5.f);
  auto layer = make_layer(R"(type: "Silence")");
  layer->setup({&a, &b}, {});
  layer->forward({&a, &b}, {});
  layer->backward({}, {true, false}, {&a, &b});
  for (int i = 0; i < a.count(); ++i) REQUIRE(a.diff()[i] == 0.f);
  for (int i = 0; i < b.count(); ++i) REQUIRE(b.diff()[i] == 5.f);
  auto with_top = make_layer(R"(name: "s" type: "Silence")");
  REQUIRE_THROWS_WITH(with_top->setup({&a}, {&y}), Catch::Contains("layer 's' (Silence)"));
}

}  // namespace cortado::test
