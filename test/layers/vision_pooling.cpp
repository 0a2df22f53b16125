// Pooling: Caffe's output-size rule, MAX with its mask, AVE border divisors,
// global pooling, gradients.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>
#include <random>

#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

struct PoolSpec {
  int kh = 3, kw = 3, sh = 2, sw = 2, ph = 0, pw = 0;
  bool max = true, ceil = true;
};

int out_size(int in, int k, int s, int p, bool ceil_mode) {
  const double q = double(in + 2 * p - k) / s;
  int out = int(ceil_mode ? std::ceil(q) : std::floor(q)) + 1;
  if (p > 0 && (out - 1) * s >= in + p) --out;
  return out;
}

// Straight from the definition: windows start at o*s - p, reach k (clipped to
// in + p for the AVE divisor) and are read inside the image only.
std::vector<float> pool_reference(const PoolSpec& p, const Blob& x, std::vector<int>* argmax) {
  const int N = x.shape(0), C = x.shape(1), H = x.shape(2), W = x.shape(3);
  const int OH = out_size(H, p.kh, p.sh, p.ph, p.ceil), OW = out_size(W, p.kw, p.sw, p.pw, p.ceil);
  std::vector<float> y;
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const int y0 = oy * p.sh - p.ph, x0 = ox * p.sw - p.pw;
          const int divisor =
              (std::min(y0 + p.kh, H + p.ph) - y0) * (std::min(x0 + p.kw, W + p.pw) - x0);
          float best = -FLT_MAX, sum = 0.f;
          int best_i = -1;
          for (int yy = std::max(y0, 0); yy < std::min(y0 + p.kh, H); ++yy)
            for (int xx = std::max(x0, 0); xx < std::min(x0 + p.kw, W); ++xx) {
              const float v = x.data()[x.offset(n, c, yy, xx)];
              sum += v;
              if (v > best) {
                best = v;
                best_i = yy * W + xx;
              }
            }
          y.push_back(p.max ? best : sum / divisor);
          if (argmax) argmax->push_back(best_i);
        }
  return y;
}

std::string prototxt(const PoolSpec& p) {
  auto f = [](const char* k, int v) { return std::string(" ") + k + ": " + std::to_string(v); };
  return std::string("type: 'Pooling' pooling_param { pool: ") + (p.max ? "MAX" : "AVE") +
         f("kernel_h", p.kh) + f("kernel_w", p.kw) + f("stride_h", p.sh) + f("stride_w", p.sw) +
         f("pad_h", p.ph) + f("pad_w", p.pw) + " round_mode: " + (p.ceil ? "CEIL" : "FLOOR") + " }";
}

// Distinct values at least 0.05 apart, so a 1e-2 step never changes a window's maximum.
void fill_distinct(Blob& b, unsigned seed) {
  std::vector<float> v(b.count());
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * float(i) - 0.025f * float(v.size());
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  set(b, v);
}

void check_against_reference(const PoolSpec& p, const std::vector<int>& shape) {
  Blob x(shape), y, mask;
  fill_gaussian(x, 0.f, 1.f, 3);
  auto layer = make(prototxt(p));
  std::vector<int> argmax;
  const auto want = pool_reference(p, x, &argmax);
  if (p.max) {
    layer->setup({&x}, {&y, &mask});
    layer->forward({&x}, {&y, &mask});
    std::vector<float> mask_want(argmax.begin(), argmax.end());
    require_close(data(mask), mask_want);
  } else {
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
  }
  REQUIRE(y.shape() == std::vector<int>{shape[0], shape[1],
                                        out_size(shape[2], p.kh, p.sh, p.ph, p.ceil),
                                        out_size(shape[3], p.kw, p.sw, p.pw, p.ceil)});
  require_close(data(y), want);
}

std::vector<int> pooled_shape(const std::string& params, std::vector<int> in) {
  Blob x(in), y;
  make("type: 'Pooling' pooling_param { " + params + " }")->setup({&x}, {&y});
  return y.shape();
}

}  // namespace

TEST_CASE("Pooling output size follows Caffe's ceil rule", "[layers][pooling]") {
  // ceil((32 - 3) / 2) + 1 = 16; ceil((8 - 3) / 2) + 1 = 4 where floor would give 3
  REQUIRE(pooled_shape("kernel_size: 3 stride: 2", {1, 1, 32, 32}) ==
          std::vector<int>{1, 1, 16, 16});
  REQUIRE(pooled_shape("kernel_size: 3 stride: 2", {2, 3, 8, 8}) == std::vector<int>{2, 3, 4, 4});
  REQUIRE(pooled_shape("kernel_size: 3 stride: 2 round_mode: FLOOR", {2, 3, 8, 8}) ==
          std::vector<int>{2, 3, 3, 3});
  // CaffeNet: 55 -> 27 -> 13 -> 6
  REQUIRE(pooled_shape("kernel_size: 3 stride: 2", {1, 1, 55, 27}) ==
          std::vector<int>{1, 1, 27, 13});
  REQUIRE(pooled_shape("kernel_size: 3 stride: 2", {1, 1, 13, 13}) == std::vector<int>{1, 1, 6, 6});
  // With pad, a last window that would start at or beyond in + pad is dropped:
  // ceil((4 + 2 - 2) / 3) + 1 = 3, but (3 - 1) * 3 = 6 >= 4 + 1, so 2.
  REQUIRE(pooled_shape("kernel_size: 2 stride: 3 pad: 1", {1, 1, 4, 4}) ==
          std::vector<int>{1, 1, 2, 2});
  REQUIRE(pooled_shape("kernel_size: 3 stride: 2 pad: 1", {1, 1, 8, 8}) ==
          std::vector<int>{1, 1, 5, 5});
  REQUIRE(pooled_shape("kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0",
                       {1, 1, 5, 7}) == std::vector<int>{1, 1, 6, 3});
}

TEST_CASE("Pooling MAX by hand, with the argmax mask as a second top", "[layers][pooling]") {
  Blob x({1, 1, 4, 4}), y, mask;
  set(x, {1, 9, 2, 3,  //
          4, 5, 8, 7,  //
          0, 6, 6, 1,  //
          6, 3, 1, 11});
  auto layer = make("type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 stride: 2 }");
  layer->setup({&x}, {&y, &mask});
  layer->forward({&x}, {&y, &mask});
  require_close(data(y), {9, 8, 6, 11});
  // Index h*W + w in the plane; of the two 6s in one window the first wins.
  require_close(data(mask), {1, 6, 9, 15});

  float* dy = y.mutable_diff();
  dy[0] = 1.f, dy[1] = 2.f, dy[2] = 3.f, dy[3] = 4.f;
  layer->backward({&y, &mask}, {true}, {&x});
  require_close(diff(x), {0, 1, 0, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 4});
}

TEST_CASE("Pooling AVE divides by the window clipped to the padded image", "[layers][pooling]") {
  SECTION("no pad: edge windows count 6 or 4 pixels, not 9") {
    Blob x({1, 1, 8, 8}), y;
    x.set_data(1.f);
    auto layer = make("type: 'Pooling' pooling_param { pool: AVE kernel_size: 3 stride: 2 }");
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    REQUIRE(y.shape() == std::vector<int>{1, 1, 4, 4});
    require_close(data(y), std::vector<float>(16, 1.f));
  }
  SECTION("pad 1: padding inside the window counts, beyond in + pad it does not") {
    Blob x({1, 1, 4, 4}), y;
    x.set_data(1.f);
    auto layer =
        make("type: 'Pooling' pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }");
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    // Windows start at -1, 1, 3; the last reaches only to in + pad = 5 (extent 2).
    REQUIRE(y.shape() == std::vector<int>{1, 1, 3, 3});
    require_close(data(y), {4.f / 9, 6.f / 9, 2.f / 6,  //
                            6.f / 9, 9.f / 9, 3.f / 6,  //
                            2.f / 6, 3.f / 6, 1.f / 4});
  }
}

TEST_CASE("Pooling forward matches the definition", "[layers][pooling]") {
  for (bool max : {true, false})
    for (bool ceil : {true, false}) {
      INFO("max " << max << " ceil " << ceil);
      PoolSpec p;
      p.max = max;
      p.ceil = ceil;
      check_against_reference(p, {2, 3, 9, 8});
      p.ph = p.pw = 1;
      check_against_reference(p, {2, 2, 7, 10});
      p.kh = 2, p.kw = 4, p.sh = 1, p.sw = 3, p.ph = 1, p.pw = 2;
      check_against_reference(p, {1, 2, 6, 11});
      p.kh = p.kw = 2, p.sh = p.sw = 2, p.ph = p.pw = 0;  // LeNet's pooling
      check_against_reference(p, {3, 4, 8, 8});
    }
}

TEST_CASE("Pooling global_pooling takes the whole plane", "[layers][pooling]") {
  Blob x({2, 3, 4, 5}), y;
  fill_gaussian(x, 0.f, 1.f, 4);
  for (const char* pool : {"MAX", "AVE"}) {
    auto layer = make(std::string("type: 'Pooling' pooling_param { global_pooling: true pool: ") +
                      pool + " }");
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    REQUIRE(y.shape() == std::vector<int>{2, 3, 1, 1});
    for (int q = 0; q < 6; ++q) {
      const float* plane = x.data() + q * 20;
      const float want = std::string(pool) == "MAX" ? *std::max_element(plane, plane + 20)
                                                    : std::accumulate(plane, plane + 20, 0.f) / 20;
      REQUIRE(y.data()[q] == Approx(want).margin(1e-6));
    }
    // A new bottom size changes the kernel with it.
    Blob x2({1, 1, 3, 3}), y2;
    layer->setup({&x2}, {&y2});
    REQUIRE(y2.shape() == std::vector<int>{1, 1, 1, 1});
  }
}

TEST_CASE("Pooling gradients match numeric differences", "[layers][pooling]") {
  SECTION("MAX, overlapping windows with pad") {
    Blob x({2, 2, 6, 5}), y;
    fill_distinct(x, 5);
    auto layer =
        make("type: 'Pooling' pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }");
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
  }
  SECTION("MAX with a mask top") {
    Blob x({1, 2, 5, 5}), y, mask;
    fill_distinct(x, 6);
    auto layer =
        make("type: 'Pooling' pooling_param { pool: MAX kernel_h: 2 kernel_w: 3 stride: 2 }");
    layer->setup({&x}, {&y, &mask});
    check_gradients(*layer, {&x}, {&y, &mask});
  }
  SECTION("AVE with pad and the ceil rule") {
    Blob x({2, 2, 7, 6}), y;
    fill_gaussian(x, 0.f, 1.f, 7);
    auto layer =
        make("type: 'Pooling' pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }");
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
  }
  SECTION("AVE global") {
    Blob x({2, 3, 3, 4}), y;
    fill_gaussian(x, 0.f, 1.f, 8);
    auto layer = make("type: 'Pooling' pooling_param { pool: AVE global_pooling: true }");
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
  }
}

TEST_CASE("Pooling rejects bad parameters with the layer's name", "[layers][pooling]") {
  Blob x({1, 2, 6, 6}), y, mask;
  auto setup = [&](const std::string& p) {
    return [&, p] {
      make("name: 'p1' type: 'Pooling' pooling_param { " + p + " }")->setup({&x}, {&y});
    };
  };
  require_error(setup("pool: STOCHASTIC kernel_size: 2"),
                "layer 'p1' (Pooling): STOCHASTIC pooling is not supported");
  require_error(setup("pool: MAX"), "kernel_size (or kernel_h/kernel_w) must be given");
  require_error(setup("global_pooling: true kernel_size: 2"),
                "global_pooling takes the kernel from the bottom");
  require_error(setup("kernel_size: 2 pad: 2"), "pad must be smaller than the kernel");
  require_error(setup("kernel_size: 7"), "is larger than the padded bottom");
  require_error(setup("kernel_size: 2 stride: 0"), "stride must be positive");
  require_error(
      [&] {
        make("name: 'p1' type: 'Pooling' pooling_param { pool: AVE kernel_size: 2 }")
            ->setup({&x}, {&y, &mask});
      },
      "produces at most 1 top blob(s)");
  Blob flat({2, 6}), fy;
  require_error(
      [&] { make("type: 'Pooling' pooling_param { kernel_size: 2 }")->setup({&flat}, {&fy}); },
      "bottom must have 4 axes");
}

}  // namespace cortado::test::vision
