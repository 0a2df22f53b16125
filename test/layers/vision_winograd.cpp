// Winograd F(4x4, 3x3) convolution (math/winograd.hpp) against direct loops, and
// the Convolution layer on shapes where it takes that path.
#include <cmath>
#include <random>

#include "math/winograd.hpp"
#include "vision_conv_ref.hpp"
#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

std::vector<float> noise(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

struct Case {
  int num, channels, height, width, outputs, group, pad_h, pad_w;
};

// Shapes with ragged tiles (sizes not multiples of 4), every pad, and groups.
const Case kCases[] = {{2, 3, 6, 5, 4, 1, 1, 1}, {1, 4, 13, 13, 6, 2, 1, 1},
                       {3, 5, 9, 4, 2, 1, 0, 2}, {2, 6, 7, 11, 9, 3, 2, 0},
                       {1, 2, 3, 3, 3, 1, 0, 0}, {2, 8, 16, 17, 8, 4, 1, 2}};

ConvSpec spec_of(const Case& c) {
  ConvSpec s;
  s.num = c.num;
  s.channels = c.channels;
  s.height = c.height;
  s.width = c.width;
  s.num_output = c.outputs;
  s.group = c.group;
  s.pad_h = c.pad_h;
  s.pad_w = c.pad_w;
  s.bias = false;
  return s;
}

WinogradShape shape_of(const Case& c) {
  WinogradShape w;
  w.num = c.num;
  w.channels = c.channels;
  w.height = c.height;
  w.width = c.width;
  w.out_channels = c.outputs;
  w.groups = c.group;
  w.pad_h = c.pad_h;
  w.pad_w = c.pad_w;
  return w;
}

// The adjoints of conv_reference: gradients of sum(dy . conv(x, w)).
void reference_gradients(const ConvSpec& s, const std::vector<float>& x,
                         const std::vector<float>& w, const std::vector<float>& dy,
                         std::vector<float>& dx, std::vector<float>& dw) {
  const int OH = s.conv_out_h(), OW = s.conv_out_w();
  const int cg = s.channels / s.group, og = s.num_output / s.group;
  std::vector<double> gx(x.size(), 0.0), gw(w.size(), 0.0);
  for (int n = 0; n < s.num; ++n)
    for (int o = 0; o < s.num_output; ++o)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const double d = dy[((size_t(n) * s.num_output + o) * OH + oy) * OW + ox];
          for (int ci = 0; ci < cg; ++ci)
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 3; ++j) {
                const int iy = oy - s.pad_h + i, ix = ox - s.pad_w + j;
                if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                const size_t xi =
                    ((size_t(n) * s.channels + (o / og) * cg + ci) * s.height + iy) * s.width + ix;
                const size_t wi = ((size_t(o) * cg + ci) * 3 + i) * 3 + j;
                gx[xi] += d * w[wi];
                gw[wi] += d * x[xi];
              }
        }
  dx.assign(gx.begin(), gx.end());
  dw.assign(gw.begin(), gw.end());
}

}  // namespace

TEST_CASE("Winograd 3x3 forward, data and weight gradients match direct loops",
          "[layers][math][winograd]") {
  unsigned seed = 1;
  for (const Case& c : kCases) {
    const ConvSpec s = spec_of(c);
    INFO("num " << c.num << " channels " << c.channels << " " << c.height << "x" << c.width
                << " outputs " << c.outputs << " group " << c.group << " pad " << c.pad_h << ","
                << c.pad_w);
    const auto x = noise(size_t(s.num) * s.channels * s.height * s.width, seed++);
    const auto w = noise(size_t(s.num_output) * (s.channels / s.group) * 9, seed++);
    const size_t ycount = size_t(s.num) * s.num_output * s.conv_out_h() * s.conv_out_w();
    const auto dy = noise(ycount, seed++);

    Winograd3x3 wino;
    wino.reshape(shape_of(c));
    std::vector<float> y(ycount, std::nanf(""));
    wino.forward(x.data(), w.data(), y.data());
    require_close(y, conv_reference(s, x.data(), w.data(), nullptr), 1e-4f);

    std::vector<float> want_dx, want_dw;
    reference_gradients(s, x, w, dy, want_dx, want_dw);
    Winograd3x3DataGrad data_grad;
    data_grad.reshape(shape_of(c));
    std::vector<float> dx(x.size(), std::nanf(""));
    data_grad.backward_data(dy.data(), w.data(), dx.data());
    require_close(dx, want_dx, 1e-4f);

    // Accumulates onto what is there, as every parameter gradient does.
    std::vector<float> dw(w.size(), 1.f);
    wino.backward_weights(x.data(), dy.data(), dw.data());
    for (float& v : want_dw) v += 1.f;
    require_close(dw, want_dw, 1e-4f);
  }
}

TEST_CASE("Winograd is chosen only for 3x3, stride 1, undilated, pad <= 2, >= 16 channels",
          "[layers][math][winograd]") {
  CHECK(winograd_worth_it(3, 3, 1, 1, 1, 1, 1, 1, 16, 16));
  CHECK(winograd_worth_it(3, 3, 1, 1, 1, 1, 0, 2, 256, 384));
  CHECK_FALSE(winograd_worth_it(3, 3, 2, 2, 1, 1, 1, 1, 64, 64));  // stride
  CHECK_FALSE(winograd_worth_it(3, 3, 1, 1, 2, 2, 1, 1, 64, 64));  // dilation
  CHECK_FALSE(winograd_worth_it(5, 5, 1, 1, 1, 1, 2, 2, 64, 64));  // kernel
  CHECK_FALSE(winograd_worth_it(3, 3, 1, 1, 1, 1, 3, 3, 64, 64));  // pad
  CHECK_FALSE(winograd_worth_it(3, 3, 1, 1, 1, 1, 1, 1, 3, 64));   // too few channels
}

TEST_CASE("Convolution on a Winograd shape: forward against loops, numeric gradients",
          "[layers][conv][winograd]") {
  // 16 channels per group, the fewest that take the path; small maps keep the float
  // noise of the objective (a sum over every output) below the check's threshold.
  ConvSpec s;
  s.num = 2;
  s.channels = 32;
  s.height = 5;
  s.width = 6;
  s.num_output = 16;
  s.group = 2;
  s.pad_h = s.pad_w = 1;
  auto layer = make(s.prototxt("Convolution"));
  Blob x({s.num, s.channels, s.height, s.width}), y;
  fill_gaussian(x, 0.f, 1.f, 7);
  layer->setup({&x}, {&y});
  fill_gaussian(*layer->blobs()[0], 0.f, 0.1f, 8);
  fill_gaussian(*layer->blobs()[1], 0.f, 0.1f, 9);
  layer->forward({&x}, {&y});
  require_close(data(y),
                conv_reference(s, x.data(), layer->blobs()[0]->data(), layer->blobs()[1]->data()),
                1e-4f);
  check_gradients(*layer, {&x}, {&y});
}

}  // namespace cortado::test::vision
