// Split, Flatten and Reshape: layers that move no data, only share it.
#include "neuron_structural_util.hpp"

namespace cortado::test {

TEST_CASE("Split shares the bottom's data with every top", "[layers][split]") {
  Blob x({2, 3}), t0, t1, t2;
  fill_gaussian(x, 0.f, 1.f, 1);
  auto layer = make_layer(R"(type: "Split")");
  layer->setup({&x}, {&t0, &t1, &t2});
  layer->forward({&x}, {&t0, &t1, &t2});
  for (Blob* t : {&t0, &t1, &t2}) {
    REQUIRE(t->shape() == x.shape());
    require_near(values(*t), values(x), 0.f);
  }
}

TEST_CASE("Split backward sums the tops' diffs", "[layers][split]") {
  Blob x({3}), t0, t1, t2;
  auto layer = make_layer(R"(type: "Split")");
  layer->setup({&x}, {&t0, &t1, &t2});
  layer->forward({&x}, {&t0, &t1, &t2});
  std::copy_n(std::vector<float>{1, 2, 3}.begin(), 3, t0.mutable_diff());
  std::copy_n(std::vector<float>{10, 20, 30}.begin(), 3, t1.mutable_diff());
  std::copy_n(std::vector<float>{100, 200, 300}.begin(), 3, t2.mutable_diff());
  layer->backward({&t0, &t1, &t2}, {true}, {&x});
  require_near(diffs(x), {111, 222, 333});
}

TEST_CASE("Split gradient matches numeric differences and refuses in place", "[layers][split]") {
  Blob x({2, 3, 2}), t0, t1;
  fill_gaussian(x, 0.f, 1.f, 1701);
  auto layer = make_layer(R"(type: "Split")");
  layer->setup({&x}, {&t0, &t1});
  check_gradients(*layer, {&x}, {&t0, &t1});
  auto inplace = make_layer(R"(name: "sp" type: "Split")");
  REQUIRE_THROWS_WITH(inplace->setup({&x}, {&x, &t0}), Catch::Contains("layer 'sp' (Split)"));
}

TEST_CASE("Flatten merges axis..end_axis", "[layers][flatten]") {
  Blob x({2, 3, 4, 5}), y;
  fill_gaussian(x, 0.f, 1.f, 2);
  auto layer = make_layer(R"(type: "Flatten")");
  layer->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 60});
  layer->forward({&x}, {&y});
  require_near(values(y), values(x), 0.f);
  auto middle = make_layer(R"(type: "Flatten" flatten_param { axis: 1 end_axis: 2 })");
  middle->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 12, 5});
  auto negative = make_layer(R"(type: "Flatten" flatten_param { axis: -3 end_axis: -2 })");
  negative->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 12, 5});
  auto all = make_layer(R"(type: "Flatten" flatten_param { axis: 0 })");
  all->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{120});
  auto bad = make_layer(R"(name: "f" type: "Flatten" flatten_param { axis: 2 end_axis: 1 })");
  REQUIRE_THROWS_WITH(bad->setup({&x}, {&y}), Catch::Contains("layer 'f' (Flatten)"));
}

TEST_CASE("Flatten gradient matches numeric differences", "[layers][flatten]") {
  Blob x({2, 3, 2}), y;
  fill_gaussian(x, 0.f, 1.f, 1701);
  auto layer = make_layer(R"(type: "Flatten")");
  layer->setup({&x}, {&y});
  check_gradients(*layer, {&x}, {&y});
}

namespace {
std::vector<int> reshaped(const std::vector<int>& in, const std::string& param) {
  Blob x(in), y;
  auto layer = make_layer("type: 'Reshape' reshape_param { " + param + " }");
  layer->setup({&x}, {&y});
  return y.shape();
}
}  // namespace

TEST_CASE("Reshape with explicit dims, 0 (copy) and -1 (infer)", "[layers][reshape]") {
  using V = std::vector<int>;
  REQUIRE(reshaped({2, 3, 4}, "shape { dim: 6 dim: 4 }") == V{6, 4});
  REQUIRE(reshaped({2, 3, 4}, "shape { dim: 0 dim: -1 }") == V{2, 12});
  REQUIRE(reshaped({2, 3, 4}, "shape { dim: 0 dim: 0 dim: 2 dim: 2 }") == V{2, 3, 2, 2});
  REQUIRE(reshaped({2, 3, 4}, "shape { dim: -1 dim: 0 dim: 2 }") == V{4, 3, 2});
  REQUIRE(reshaped({2, 3, 4}, "shape { dim: 24 }") == V{24});
  REQUIRE(reshaped({2, 8}, "shape { dim: 0 dim: 2 dim: -1 dim: 1 }") == V{2, 2, 4, 1});
}

TEST_CASE("Reshape axis and num_axes replace part of the shape", "[layers][reshape]") {
  using V = std::vector<int>;
  REQUIRE(reshaped({2, 3, 4}, "axis: 1 shape { dim: 12 }") == V{2, 12});
  REQUIRE(reshaped({2, 3, 4}, "axis: 1 num_axes: 1 shape { dim: 3 dim: 1 }") == V{2, 3, 1, 4});
  REQUIRE(reshaped({2, 3, 4}, "axis: 0 num_axes: 0 shape { dim: 1 }") == V{1, 2, 3, 4});
  REQUIRE(reshaped({2, 3, 4}, "axis: -1 num_axes: 0 shape { dim: 1 }") == V{2, 3, 4, 1});
  REQUIRE(reshaped({2, 3, 4}, "axis: -2 shape { dim: -1 }") == V{2, 3, 4});
  REQUIRE(reshaped({2, 3, 4}, "axis: 1 num_axes: 2 shape { dim: 0 dim: -1 }") == V{2, 3, 4});
}

TEST_CASE("Reshape shares data and diff and keeps values in order", "[layers][reshape]") {
  Blob x({2, 6}), y;
  fill_gaussian(x, 0.f, 1.f, 3);
  auto layer = make_layer(R"(type: "Reshape" reshape_param { shape { dim: 3 dim: -1 } })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), values(x), 0.f);
  y.set_diff(4.f);
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < x.count(); ++i) REQUIRE(x.diff()[i] == 4.f);
  check_gradients(*layer, {&x}, {&y});
}

TEST_CASE("Reshape refuses impossible shapes", "[layers][reshape]") {
  Blob x({2, 3, 4}), y;
  for (const char* p : {"shape { dim: 5 dim: -1 }", "shape { dim: -1 dim: -1 }",
                        "shape { dim: 7 }", "shape { dim: 0 dim: 0 dim: 0 dim: 0 }",
                        "axis: 4 shape { dim: 1 }", "axis: 2 num_axes: 2 shape { dim: 4 }",
                        "shape { dim: -3 }"}) {
    INFO(p);
    auto layer = make_layer(std::string("name: 'r' type: 'Reshape' reshape_param { ") + p + " }");
    REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 'r' (Reshape)"));
  }
}

}  // namespace cortado::test
