// LRN across and within channels: forward against the formulas, gradients.
#include <cmath>

#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

struct LrnSpec {
  int size = 5;
  double alpha = 1, beta = 0.75, k = 1;
  bool across = true;

  std::string prototxt() const {
    return "type: 'LRN' lrn_param { local_size: " + std::to_string(size) +
           " alpha: " + std::to_string(alpha) + " beta: " + std::to_string(beta) +
           " k: " + std::to_string(k) +
           " norm_region: " + (across ? "ACROSS_CHANNELS" : "WITHIN_CHANNEL") + " }";
  }
};

// The formulas of lrn.hpp in double precision, zero outside the blob.
std::vector<float> lrn_reference(const LrnSpec& s, const Blob& x) {
  const int N = x.shape(0), C = x.shape(1), H = x.shape(2), W = x.shape(3), half = (s.size - 1) / 2;
  auto at = [&](int n, int c, int h, int w) -> double {
    if (c < 0 || c >= C || h < 0 || h >= H || w < 0 || w >= W) return 0.0;
    return x.data()[x.offset(n, c, h, w)];
  };
  std::vector<float> y;
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w) {
          double sum = 0, scale;
          if (s.across) {
            for (int d = -half; d <= half; ++d) sum += at(n, c + d, h, w) * at(n, c + d, h, w);
            scale = s.k + s.alpha / s.size * sum;
          } else {
            for (int dh = -half; dh <= half; ++dh)
              for (int dw = -half; dw <= half; ++dw) sum += std::pow(at(n, c, h + dh, w + dw), 2);
            scale = 1 + s.alpha / (s.size * s.size) * sum;
          }
          y.push_back(float(at(n, c, h, w) * std::pow(scale, -s.beta)));
        }
  return y;
}

void check_forward(const LrnSpec& s, const std::vector<int>& shape, unsigned seed) {
  Blob x(shape), y;
  fill_gaussian(x, 0.f, 1.f, seed);
  auto layer = make(s.prototxt());
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == x.shape());
  require_close(data(y), lrn_reference(s, x), 1e-5f);
}

}  // namespace

TEST_CASE("LRN across channels by hand", "[layers][lrn]") {
  // local_size 3, alpha 3, beta 1, k 1: scale_c = 1 + (x_{c-1}^2 + x_c^2 + x_{c+1}^2)
  Blob x({1, 3, 1, 1}), y;
  set(x, {1, 2, 3});
  auto layer = make("type: 'LRN' lrn_param { local_size: 3 alpha: 3 beta: 1 k: 1 }");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_close(data(y), {1.f / 6, 2.f / 15, 3.f / 14}, 1e-6f);
}

TEST_CASE("LRN within a channel by hand: the divisor is local_size^2 at the borders too",
          "[layers][lrn]") {
  // local_size 3, alpha 9, beta 1: scale = 1 + (sum of x^2 over the 3x3 window).
  Blob x({1, 1, 2, 2}), y;
  set(x, {1, 1, 1, 1});
  auto layer =
      make("type: 'LRN' lrn_param { local_size: 3 alpha: 9 beta: 1 norm_region: WITHIN_CHANNEL }");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_close(data(y), {0.2f, 0.2f, 0.2f, 0.2f}, 1e-6f);
}

TEST_CASE("LRN forward matches the formulas", "[layers][lrn]") {
  LrnSpec s;
  SECTION("across, AlexNet's parameters") {
    s.alpha = 1e-4;
    check_forward(s, {2, 7, 3, 3}, 1);
    s.alpha = 0.5;  // large enough that the normalization matters
    check_forward(s, {2, 7, 3, 3}, 2);
  }
  SECTION("across, size 3, beta 0.6, k 2, fewer channels than the window") {
    s.size = 3;
    s.beta = 0.6;
    s.k = 2;
    s.alpha = 0.8;
    check_forward(s, {2, 2, 3, 2}, 3);
    s.size = 7;
    check_forward(s, {1, 4, 2, 2}, 4);
  }
  SECTION("within") {
    s.across = false;
    s.alpha = 0.7;
    check_forward(s, {2, 2, 6, 7}, 5);
    s.size = 3;
    s.beta = 0.4;
    check_forward(s, {1, 3, 4, 5}, 6);
    s.size = 7;  // window wider than the image
    check_forward(s, {1, 1, 3, 2}, 7);
  }
}

TEST_CASE("LRN gradients match numeric differences", "[layers][lrn]") {
  for (bool across : {true, false})
    for (double beta : {0.75, 0.6}) {
      INFO("across " << across << " beta " << beta);
      LrnSpec s;
      s.across = across;
      s.beta = beta;
      s.alpha = 0.9;
      s.size = across ? 5 : 3;
      Blob x({2, 6, 4, 3}), y;
      fill_gaussian(x, 0.f, 1.f, 9);
      auto layer = make(s.prototxt());
      layer->setup({&x}, {&y});
      check_gradients(*layer, {&x}, {&y});
    }
}

TEST_CASE("LRN rejects an even local_size", "[layers][lrn]") {
  Blob x({1, 4, 3, 3}), y;
  require_error(
      [&] { make("name: 'n1' type: 'LRN' lrn_param { local_size: 4 }")->setup({&x}, {&y}); },
      "layer 'n1' (LRN): local_size must be odd, got 4");
}

}  // namespace cortado::test::vision
