// Embed (lookup table), Parameter (a learned tensor as a top) and SPP (spatial
// pyramid pooling): hand-worked forwards, gradients, reshapes and errors.
#include <algorithm>
#include <cmath>
#include <random>

#include "neuron_structural_util.hpp"

namespace cortado::test {
namespace {

// 4 x 3 weight with row r = {10r, 10r + 1, 10r + 2}, bias {0.5, -1, 2}.
std::unique_ptr<Layer> embed_4x3(Blob& x, Blob& y, bool bias = true) {
  auto layer = make_layer(std::string("name: 'emb' type: 'Embed' embed_param { input_dim: 4 "
                                      "num_output: 3 bias_term: ") +
                          (bias ? "true" : "false") + " }");
  layer->setup({&x}, {&y});
  set_values(*layer->blobs()[0], {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32});
  if (bias) set_values(*layer->blobs()[1], {0.5f, -1.f, 2.f});
  return layer;
}

// Embed's indices take no gradient, so the checker (which perturbs every bottom it
// is given) sees a bottomless layer that feeds fixed indices to the Embed inside.
class FixedIndices : public Layer {
 public:
  FixedIndices(std::unique_ptr<Layer> inner, Blob* indices)
      : Layer(inner->layer_param()), inner_(std::move(inner)), indices_(indices) {
    blobs_ = inner_->blobs();
  }
  const char* type() const override { return "Embed"; }
  void reshape(const BlobVec& /*bottom*/, const BlobVec& top) override {
    inner_->reshape({indices_}, top);
  }

 protected:
  void forward_cpu(const BlobVec& /*bottom*/, const BlobVec& top) override {
    inner_->forward({indices_}, top);
  }
  void backward_cpu(const BlobVec& top, const std::vector<bool>& /*down*/,
                    const BlobVec& /*bottom*/) override {
    inner_->backward(top, {false}, {indices_});
  }

 private:
  std::unique_ptr<Layer> inner_;
  Blob* indices_;
};

}  // namespace

TEST_CASE("Embed looks up weight rows and adds the bias", "[layers][embed]") {
  Blob x({2, 2}), y;
  auto layer = embed_4x3(x, y);
  REQUIRE(layer->blobs().size() == 2);
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{4, 3});  // (input_dim, num_output)
  REQUIRE(layer->blobs()[1]->shape() == std::vector<int>{3});
  REQUIRE(y.shape() == std::vector<int>{2, 2, 3});
  set_values(x, {3, 0, 1, 3});
  layer->forward({&x}, {&y});
  require_near(values(y), {30.5f, 30, 34, 0.5f, 0, 4, 10.5f, 10, 14, 30.5f, 30, 34});

  Blob x1({5}), y1;
  auto plain = embed_4x3(x1, y1, false);
  REQUIRE(plain->blobs().size() == 1);
  REQUIRE(y1.shape() == std::vector<int>{5, 3});
  set_values(x1, {2, 2, 0, 1, 3});
  plain->forward({&x1}, {&y1});
  require_near(values(y1), {20, 21, 22, 20, 21, 22, 0, 1, 2, 10, 11, 12, 30, 31, 32});
}

TEST_CASE("Embed fillers: constant 0 when absent, as given otherwise", "[layers][embed]") {
  Blob x({1}), y;
  auto bare = make_layer("type: 'Embed' embed_param { input_dim: 5 num_output: 2 }");
  bare->setup({&x}, {&y});
  require_near(values(*bare->blobs()[0]), std::vector<float>(10, 0.f), 0.f);
  require_near(values(*bare->blobs()[1]), {0, 0}, 0.f);
  auto filled = make_layer(
      "type: 'Embed' embed_param { input_dim: 5 num_output: 2 weight_filler { type: 'constant' "
      "value: 2 } bias_filler { type: 'constant' value: -3 } }");
  filled->setup({&x}, {&y});
  require_near(values(*filled->blobs()[0]), std::vector<float>(10, 2.f), 0.f);
  require_near(values(*filled->blobs()[1]), {-3, -3}, 0.f);
}

TEST_CASE("Embed backward adds into the picked rows and the bias", "[layers][embed]") {
  Blob x({3}), y;
  auto layer = embed_4x3(x, y);
  set_values(x, {1, 3, 1});
  layer->forward({&x}, {&y});
  // Param diffs accumulate: start them at 1 and 100.
  layer->blobs()[0]->set_diff(1.f);
  layer->blobs()[1]->set_diff(100.f);
  std::copy_n(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}.begin(), 9, y.mutable_diff());
  layer->backward({&y}, {false}, {&x});
  // Row 1 is picked twice: 1 + {1,2,3} + {7,8,9}; row 3 once: 1 + {4,5,6}.
  require_near(diffs(*layer->blobs()[0]), {1, 1, 1, 9, 11, 13, 1, 1, 1, 5, 6, 7});
  require_near(diffs(*layer->blobs()[1]), {112, 115, 118});
}

TEST_CASE("Embed weight and bias gradients match numeric differences", "[layers][embed]") {
  Blob x({2, 3}), y;
  auto embed = make_layer(
      "type: 'Embed' embed_param { input_dim: 5 num_output: 4 weight_filler { type: 'gaussian' "
      "std: 1 } bias_filler { type: 'gaussian' std: 1 } }");
  embed->setup({&x}, {&y});
  set_values(x, {4, 0, 2, 2, 1, 4});
  FixedIndices layer(std::move(embed), &x);
  layer.setup({}, {&y});
  check_gradients(layer, {}, {&y});
}

TEST_CASE("Embed refuses bad indices and gradients to them", "[layers][embed]") {
  Blob x({2}), y;
  auto layer = embed_4x3(x, y);
  REQUIRE_FALSE(layer->allow_force_backward(0));
  for (float bad : {4.f, -1.f, 1.5f, NAN}) {
    INFO("index " << bad);
    set_values(x, {0, bad});
    REQUIRE_THROWS_WITH(layer->forward({&x}, {&y}),
                        Catch::Contains("layer 'emb' (Embed): index") &&
                            Catch::Contains("at position 1 is not an integer in [0, 4)"));
  }
  set_values(x, {4, 0});
  REQUIRE_THROWS_WITH(layer->forward({&x}, {&y}), Catch::Contains("index 4 at position 0"));
  set_values(x, {0, 1});
  layer->forward({&x}, {&y});
  REQUIRE_THROWS_WITH(layer->backward({&y}, {true}, {&x}),
                      Catch::Contains("layer 'emb' (Embed): cannot backpropagate to the indices"));
}

TEST_CASE("Embed requires positive num_output and input_dim", "[layers][embed]") {
  Blob x({2}), y;
  for (const char* p : {"input_dim: 4", "input_dim: 4 num_output: 0"}) {
    auto layer = make_layer(std::string("name: 'e' type: 'Embed' embed_param { ") + p + " }");
    REQUIRE_THROWS_WITH(
        layer->setup({&x}, {&y}),
        Catch::Contains("layer 'e' (Embed): num_output must be given and positive"));
  }
  for (const char* p : {"num_output: 4", "num_output: 4 input_dim: 0"}) {
    auto layer = make_layer(std::string("name: 'e' type: 'Embed' embed_param { ") + p + " }");
    REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}),
                        Catch::Contains("layer 'e' (Embed): input_dim must be given and positive"));
  }
}

TEST_CASE("Parameter hands its blob to the top and takes the top's gradient",
          "[layers][parameter]") {
  Blob y;
  auto layer = make_layer("type: 'Parameter' parameter_param { shape { dim: 2 dim: 3 } }");
  layer->setup({}, {&y});
  REQUIRE(layer->blobs().size() == 1);
  Blob& w = *layer->blobs()[0];
  REQUIRE(w.shape() == std::vector<int>{2, 3});
  REQUIRE(y.shape() == std::vector<int>{2, 3});
  layer->forward({}, {&y});
  require_near(values(y), std::vector<float>(6, 0.f), 0.f);  // starts at zero

  set_values(w, {1, -2, 3, -4, 5, -6});
  layer->forward({}, {&y});
  require_near(values(y), {1, -2, 3, -4, 5, -6}, 0.f);
  w.set_diff(1.f);
  std::copy_n(std::vector<float>{10, 20, 30, 40, 50, 60}.begin(), 6, y.mutable_diff());
  layer->backward({&y}, {}, {});
  require_near(diffs(w), {11, 21, 31, 41, 51, 61}, 0.f);
  check_gradients(*layer, {}, {&y});
}

TEST_CASE("Parameter shapes: none is a scalar, a negative dim is an Error", "[layers][parameter]") {
  Blob y, x({1});
  auto scalar = make_layer("type: 'Parameter'");
  scalar->setup({}, {&y});
  REQUIRE(scalar->blobs()[0]->count() == 1);
  REQUIRE(y.num_axes() == 0);
  auto bad = make_layer("name: 'p' type: 'Parameter' parameter_param { shape { dim: 2 dim: -1 } }");
  REQUIRE_THROWS_WITH(bad->setup({}, {&y}), Catch::Contains("layer 'p' (Parameter)"));
  auto with_bottom = make_layer("name: 'p' type: 'Parameter' parameter_param { shape { dim: 2 } }");
  REQUIRE_THROWS_WITH(with_bottom->setup({&x}, {&y}), Catch::Contains("layer 'p' (Parameter)"));
}

namespace {

std::unique_ptr<Layer> spp(const std::string& pool, int height, Blob& x, Blob& y) {
  auto layer = make_layer("name: 'spp' type: 'SPP' spp_param { pool: " + pool +
                          " pyramid_height: " + std::to_string(height) + " }");
  layer->setup({&x}, {&y});
  return layer;
}

// A 4 x 4 plane holding 0..15 out of order, so maxima sit in different places.
const std::vector<float> kPlane = {3, 12, 1, 7, 9, 0, 14, 5, 2, 15, 8, 10, 11, 6, 4, 13};

// 1 x 2 x 5 x 5: channel 0 holds v = 5 row + col, channel 1 holds 24 - v.
void fill_5x5(Blob& x) {
  std::vector<float> v(50);
  for (int i = 0; i < 25; ++i) v[i] = float(i), v[25 + i] = 24.f - float(i);
  set_values(x, v);
}

// Distinct values 0.05 apart, so a 1e-2 step never moves a window's maximum.
void fill_distinct(Blob& b, unsigned seed) {
  std::vector<float> v(b.count());
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * float(i) - 0.025f * float(v.size());
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  set_values(b, v);
}

}  // namespace

TEST_CASE("SPP with one level pools the whole plane, unflattened", "[layers][spp]") {
  Blob x({1, 1, 4, 4}), y;
  set_values(x, kPlane);
  auto max = spp("MAX", 1, x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 1, 1, 1});
  max->forward({&x}, {&y});
  require_near(values(y), {15});
  auto ave = spp("AVE", 1, x, y);
  ave->forward({&x}, {&y});
  require_near(values(y), {7.5f});
}

TEST_CASE("SPP 4x4 with two and three levels, by hand", "[layers][spp]") {
  Blob x({1, 1, 4, 4}), y;
  set_values(x, kPlane);
  // Level 1: 2x2 bins of 2x2 pixels (kernel 2, no pad).
  auto max2 = spp("MAX", 2, x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 5});
  max2->forward({&x}, {&y});
  require_near(values(y), {15, 12, 14, 15, 13});
  auto ave2 = spp("AVE", 2, x, y);
  ave2->forward({&x}, {&y});
  require_near(values(y), {7.5f, 6, 6.75f, 8.5f, 8.75f});
  // Level 2: 4x4 bins of one pixel each, the plane itself.
  for (const char* pool : {"MAX", "AVE"}) {
    INFO(pool);
    auto three = spp(pool, 3, x, y);
    REQUIRE(y.shape() == std::vector<int>{1, 21});
    three->forward({&x}, {&y});
    std::vector<float> want = std::string(pool) == "MAX"
                                  ? std::vector<float>{15, 12, 14, 15, 13}
                                  : std::vector<float>{7.5f, 6, 6.75f, 8.5f, 8.75f};
    want.insert(want.end(), kPlane.begin(), kPlane.end());
    require_near(values(y), want);
  }
}

TEST_CASE("SPP 5x5 pads: two bins of kernel 3, pad 1, per axis", "[layers][spp]") {
  Blob x({1, 2, 5, 5}), y;
  fill_5x5(x);
  // Bins cover rows/cols {0,1} and {2,3,4}; AVE divides by 9 (padding counts).
  // Order: level 0 (c0, c1), then level 1 (c0's four bins, c1's four bins).
  auto max = spp("MAX", 2, x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 10});
  max->forward({&x}, {&y});
  require_near(values(y), {24, 24, 6, 9, 21, 24, 24, 22, 14, 12});
  auto ave = spp("AVE", 2, x, y);
  ave->forward({&x}, {&y});
  require_near(values(y), {12, 12, 12.f / 9, 33.f / 9, 93.f / 9, 18,  //
                           84.f / 9, 111.f / 9, 51.f / 9, 6});
}

TEST_CASE("SPP backward sums the levels into the bottom", "[layers][spp]") {
  Blob x({1, 1, 4, 4}), y;
  set_values(x, kPlane);
  auto layer = spp("MAX", 2, x, y);
  layer->forward({&x}, {&y});
  std::copy_n(std::vector<float>{1, 10, 20, 30, 40}.begin(), 5, y.mutable_diff());
  x.set_diff(-7.f);  // overwritten, not added to
  layer->backward({&y}, {true}, {&x});
  // 15 at (2,1) is the max of level 0 and of level 1's third bin: 1 + 30.
  require_near(diffs(x), {0, 10, 0, 0, 0, 0, 20, 0, 0, 31, 0, 0, 0, 0, 0, 40});

  auto ave = spp("AVE", 2, x, y);
  ave->forward({&x}, {&y});
  std::copy_n(std::vector<float>{16, 4, 8, 12, 16}.begin(), 5, y.mutable_diff());
  ave->backward({&y}, {true}, {&x});
  require_near(diffs(x), {2, 2, 3, 3, 2, 2, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5});
}

TEST_CASE("SPP gradients match numeric differences", "[layers][spp]") {
  for (int levels : {1, 3}) {
    INFO("pyramid_height " << levels);
    Blob x({2, 2, 6, 7}), y;
    fill_distinct(x, 11 + levels);
    auto max = spp("MAX", levels, x, y);
    check_gradients(*max, {&x}, {&y});
    fill_gaussian(x, 0.f, 1.f, 12);
    auto ave = spp("AVE", levels, x, y);
    check_gradients(*ave, {&x}, {&y});
  }
}

TEST_CASE("SPP re-derives its poolings when the bottom's size changes", "[layers][spp]") {
  Blob x({1, 1, 4, 4}), y;
  set_values(x, kPlane);
  auto layer = spp("MAX", 3, x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 21});
  // 6 x 7: level 1 has kernel 3x4, pad 0x1; level 2 kernel 2x2, pad 1x1.
  x.reshape({2, 3, 6, 7});
  fill_gaussian(x, 0.f, 1.f, 5);
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{2, 63});
  const char* pools[] = {"kernel_h: 6 kernel_w: 7 stride_h: 6 stride_w: 7",
                         "kernel_h: 3 kernel_w: 4 stride_h: 3 stride_w: 4 pad_w: 1",
                         "kernel_h: 2 kernel_w: 2 stride_h: 2 stride_w: 2 pad_h: 1 pad_w: 1"};
  std::vector<std::vector<float>> want(2);
  for (const char* p : pools) {
    Blob pooled;
    auto ref = make_layer(std::string("type: 'Pooling' pooling_param { ") + p + " }");
    ref->setup({&x}, {&pooled});
    ref->forward({&x}, {&pooled});
    const int len = pooled.count(1);
    for (int n = 0; n < 2; ++n)
      want[n].insert(want[n].end(), pooled.data() + n * len, pooled.data() + (n + 1) * len);
  }
  want[0].insert(want[0].end(), want[1].begin(), want[1].end());
  require_near(values(y), want[0]);
  // And back to the first size.
  x.reshape({1, 1, 4, 4});
  set_values(x, kPlane);
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{1, 21});
  require_near(std::vector<float>(y.data(), y.data() + 5), {15, 12, 14, 15, 13});
}

TEST_CASE("SPP rejects bad parameters and too small bottoms", "[layers][spp]") {
  Blob x({1, 1, 4, 4}), y;
  auto setup = [&](const std::string& p) {
    make_layer("name: 's' type: 'SPP' spp_param { " + p + " }")->setup({&x}, {&y});
  };
  REQUIRE_THROWS_WITH(setup("pool: MAX"),
                      Catch::Contains("layer 's' (SPP): pyramid_height must be given"));
  REQUIRE_THROWS_WITH(setup("pyramid_height: 0"),
                      Catch::Contains("layer 's' (SPP): pyramid_height must be given"));
  REQUIRE_THROWS_WITH(setup("pyramid_height: 2 pool: STOCHASTIC"),
                      Catch::Contains("layer 's' (SPP): STOCHASTIC pooling is not supported"));
  // 4 x 4 has room for 4x4 bins, not 8x8.
  REQUIRE_THROWS_WITH(setup("pyramid_height: 4"),
                      Catch::Contains("layer 's' (SPP): pyramid level 3 (8x8 bins)"));
  // 5 x 5 in 4x4 bins: kernel 2 would need pad 2.
  x.reshape({1, 1, 5, 5});
  REQUIRE_THROWS_WITH(setup("pyramid_height: 3"),
                      Catch::Contains("pyramid level 2") && Catch::Contains("needs pad 2"));
  REQUIRE_THROWS_WITH(setup("pyramid_height: 40"), Catch::Contains("pyramid level 2"));
  Blob flat({2, 8});
  REQUIRE_THROWS_WITH(
      make_layer("name: 's' type: 'SPP' spp_param { pyramid_height: 2 }")->setup({&flat}, {&y}),
      Catch::Contains("layer 's' (SPP): bottom must have 4 axes"));
}

}  // namespace cortado::test
