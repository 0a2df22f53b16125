// Concat and Slice, which undo each other.
#include "neuron_structural_util.hpp"

namespace cortado::test {

TEST_CASE("Concat joins along the channel axis by default", "[layers][concat]") {
  Blob a({2, 1, 2}), b({2, 2, 2}), y;
  set_values(a, {1, 2, 3, 4});
  set_values(b, {10, 11, 12, 13, 14, 15, 16, 17});
  auto layer = make_layer(R"(type: "Concat")");
  layer->setup({&a, &b}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 3, 2});
  layer->forward({&a, &b}, {&y});
  require_near(values(y), {1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17});
}

TEST_CASE("Concat along axis 0, a negative axis and legacy concat_dim", "[layers][concat]") {
  Blob a({1, 2, 3}), b({2, 2, 3}), y;
  fill_gaussian(a, 0.f, 1.f, 1);
  fill_gaussian(b, 0.f, 1.f, 2);
  auto num = make_layer(R"(type: "Concat" concat_param { axis: 0 })");
  num->setup({&a, &b}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 2, 3});
  num->forward({&a, &b}, {&y});
  std::vector<float> want = values(a);
  for (float v : values(b)) want.push_back(v);
  require_near(values(y), want);
  auto legacy = make_layer(R"(type: "Concat" concat_param { concat_dim: 0 })");
  legacy->setup({&a, &b}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 2, 3});
  Blob c({1, 2, 1}), d({1, 2, 2});
  auto last = make_layer(R"(type: "Concat" concat_param { axis: -1 })");
  last->setup({&c, &d}, {&y});
  REQUIRE(y.shape() == std::vector<int>{1, 2, 3});
}

TEST_CASE("Concat gradient matches numeric differences", "[layers][concat]") {
  Blob a({2, 1, 2, 3}), b({2, 3, 2, 3}), c({2, 2, 2, 3}), y;
  fill_gaussian(a, 0.f, 1.f, 1);
  fill_gaussian(b, 0.f, 1.f, 2);
  fill_gaussian(c, 0.f, 1.f, 3);
  auto layer = make_layer(R"(type: "Concat")");
  layer->setup({&a, &b, &c}, {&y});
  check_gradients(*layer, {&a, &b, &c}, {&y});
}

TEST_CASE("Concat refuses bottoms that differ off the axis", "[layers][concat]") {
  Blob a({2, 1, 2}), b({2, 2, 3}), y;
  auto layer = make_layer(R"(name: "cat" type: "Concat")");
  REQUIRE_THROWS_WITH(layer->setup({&a, &b}, {&y}), Catch::Contains("layer 'cat' (Concat)"));
  auto both = make_layer(R"(type: "Concat" concat_param { axis: 1 concat_dim: 1 })");
  REQUIRE_THROWS_WITH(both->setup({&a, &a}, {&y}), Catch::Contains("concat_dim"));
}

TEST_CASE("Slice cuts at slice_point", "[layers][slice]") {
  Blob x({2, 3, 2}), t0, t1;
  set_values(x, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto layer = make_layer(R"(type: "Slice" slice_param { slice_point: 1 })");
  layer->setup({&x}, {&t0, &t1});
  REQUIRE(t0.shape() == std::vector<int>{2, 1, 2});
  REQUIRE(t1.shape() == std::vector<int>{2, 2, 2});
  layer->forward({&x}, {&t0, &t1});
  require_near(values(t0), {0, 1, 6, 7});
  require_near(values(t1), {2, 3, 4, 5, 8, 9, 10, 11});
}

TEST_CASE("Slice splits equally without slice_point, legacy slice_dim too", "[layers][slice]") {
  Blob x({6, 2}), t0, t1, t2;
  fill_gaussian(x, 0.f, 1.f, 3);
  auto layer = make_layer(R"(type: "Slice" slice_param { axis: 0 })");
  layer->setup({&x}, {&t0, &t1, &t2});
  for (Blob* t : {&t0, &t1, &t2}) REQUIRE(t->shape() == std::vector<int>{2, 2});
  layer->forward({&x}, {&t0, &t1, &t2});
  require_near(values(t2), {x.data()[8], x.data()[9], x.data()[10], x.data()[11]});
  auto legacy = make_layer(R"(type: "Slice" slice_param { slice_dim: 0 slice_point: 2 })");
  legacy->setup({&x}, {&t0, &t1});
  REQUIRE(t1.shape() == std::vector<int>{4, 2});
  auto uneven = make_layer(R"(name: "s" type: "Slice" slice_param { axis: 1 })");
  REQUIRE_THROWS_WITH(uneven->setup({&x}, {&t0, &t1, &t2}), Catch::Contains("equal"));
}

TEST_CASE("Slice refuses bad slice points", "[layers][slice]") {
  Blob x({2, 4}), t0, t1, t2;
  auto count = make_layer(R"(name: "s" type: "Slice" slice_param { slice_point: 1 })");
  REQUIRE_THROWS_WITH(count->setup({&x}, {&t0, &t1, &t2}), Catch::Contains("layer 's' (Slice)"));
  auto order = make_layer(R"(type: "Slice" slice_param { slice_point: 3 slice_point: 2 })");
  REQUIRE_THROWS_WITH(order->setup({&x}, {&t0, &t1, &t2}), Catch::Contains("ascend"));
  auto past = make_layer(R"(type: "Slice" slice_param { slice_point: 4 })");
  REQUIRE_THROWS_WITH(past->setup({&x}, {&t0, &t1}), Catch::Contains("ascend"));
}

TEST_CASE("Slice gradient matches numeric differences", "[layers][slice]") {
  Blob x({2, 5, 2, 3}), t0, t1, t2;
  fill_gaussian(x, 0.f, 1.f, 1701);
  auto layer = make_layer(R"(type: "Slice" slice_param { slice_point: 1 slice_point: 3 })");
  layer->setup({&x}, {&t0, &t1, &t2});
  check_gradients(*layer, {&x}, {&t0, &t1, &t2});
}

TEST_CASE("Slice then Concat gives back the input", "[layers][slice][concat]") {
  Blob x({3, 4, 2}), t0, t1, y;
  fill_gaussian(x, 0.f, 1.f, 5);
  auto slice = make_layer(R"(type: "Slice" slice_param { axis: 2 })");
  auto concat = make_layer(R"(type: "Concat" concat_param { axis: 2 })");
  slice->setup({&x}, {&t0, &t1});
  concat->setup({&t0, &t1}, {&y});
  slice->forward({&x}, {&t0, &t1});
  concat->forward({&t0, &t1}, {&y});
  require_near(values(y), values(x), 0.f);
}

}  // namespace cortado::test
