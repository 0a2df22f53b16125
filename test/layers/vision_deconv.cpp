// Deconvolution: shapes, forward against direct scatter loops, its transpose
// relation to Convolution, gradients.
#include "vision_conv_ref.hpp"
#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

struct DeconvRun {
  std::unique_ptr<Layer> layer;
  Blob x, y;

  DeconvRun(const ConvSpec& s, unsigned seed = 1)
      : layer(make(s.prototxt("Deconvolution"))), x({s.num, s.channels, s.height, s.width}) {
    fill_gaussian(x, 0.f, 1.f, seed);
    layer->setup({&x}, {&y});
    for (size_t i = 0; i < layer->blobs().size(); ++i)
      fill_gaussian(*layer->blobs()[i], 0.f, 1.f, seed + 10 + unsigned(i));
  }
  void check_forward(const ConvSpec& s) {
    layer->forward({&x}, {&y});
    REQUIRE(y.shape() == std::vector<int>{s.num, s.num_output, s.deconv_out_h(), s.deconv_out_w()});
    const float* b = s.bias ? layer->blobs()[1]->data() : nullptr;
    require_close(data(y), deconv_reference(s, x.data(), layer->blobs()[0]->data(), b));
  }
};

ConvSpec spec(int C, int H, int W, int O, int k) {
  ConvSpec s;
  s.channels = C;
  s.height = H;
  s.width = W;
  s.num_output = O;
  s.kernel_h = s.kernel_w = k;
  return s;
}

}  // namespace

TEST_CASE("Deconvolution forward by hand: a 2x2 kernel stamped at stride 2", "[layers][deconv]") {
  Blob x({1, 1, 2, 2}), y;
  set(x, {1, 2, 3, 4});
  auto layer = make(R"(type: "Deconvolution" convolution_param { num_output: 1 kernel_size: 2
      stride: 2 bias_term: false })");
  layer->setup({&x}, {&y});
  set(*layer->blobs()[0], {1, 10, 100, 1000});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{1, 1, 4, 4});
  require_close(data(y), {1, 10, 2, 20,          //
                          100, 1000, 200, 2000,  //
                          3, 30, 4, 40,          //
                          300, 3000, 400, 4000});
}

TEST_CASE("Deconvolution shapes: weight (C, num_output/group, kh, kw), output (in-1)*s + k - 2p",
          "[layers][deconv]") {
  Blob x({2, 4, 5, 6}), y;
  auto layer = make(R"(type: "Deconvolution" convolution_param { num_output: 6 group: 2
      kernel_h: 4 kernel_w: 3 stride: 2 pad: 1 dilation: 2 })");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{4, 3, 4, 3});
  REQUIRE(layer->blobs()[1]->shape() == std::vector<int>{6});
  // h: 2*4 + 2*3+1 - 2 = 13; w: 2*5 + 2*2+1 - 2 = 13
  REQUIRE(y.shape() == std::vector<int>{2, 6, 13, 13});
}

TEST_CASE("Deconvolution forward matches direct scatter loops", "[layers][deconv]") {
  SECTION("plain") {
    ConvSpec s = spec(3, 4, 5, 2, 3);
    DeconvRun(s).check_forward(s);
  }
  SECTION("stride, pad, rectangular kernel") {
    ConvSpec s = spec(2, 4, 3, 3, 1);
    s.kernel_h = 4;
    s.kernel_w = 3;
    s.stride_h = 2;
    s.stride_w = 3;
    s.pad_h = 1;
    s.pad_w = 1;
    DeconvRun(s).check_forward(s);
  }
  SECTION("groups, dilation, no bias") {
    ConvSpec s = spec(4, 3, 4, 6, 3);
    s.group = 2;
    s.dilation_h = 2;
    s.bias = false;
    DeconvRun(s).check_forward(s);
  }
  SECTION("1x1 and one sample") {
    ConvSpec s = spec(3, 3, 3, 4, 1);
    DeconvRun(s).check_forward(s);
    s.num = 1;
    DeconvRun(s).check_forward(s);
  }
}

TEST_CASE("Deconvolution is the transpose of Convolution with the same weights",
          "[layers][deconv]") {
  // <conv(a), b> == <a, deconv(b)> when the deconvolution maps conv's output back.
  ConvSpec s = spec(4, 7, 6, 6, 3);
  s.group = 2;
  s.pad_h = 1;
  s.stride_h = s.stride_w = 2;
  s.bias = false;
  Blob a({s.num, 4, 7, 6}), ca;
  auto conv = make(s.prototxt("Convolution"));
  conv->setup({&a}, {&ca});
  fill_gaussian(a, 0.f, 1.f, 1);
  fill_gaussian(*conv->blobs()[0], 0.f, 1.f, 2);
  conv->forward({&a}, {&ca});

  ConvSpec d = s;  // deconvolution from conv's output size back to 4 channels
  d.channels = 6;
  d.num_output = 4;
  Blob b(ca.shape()), db;
  fill_gaussian(b, 0.f, 1.f, 3);
  auto deconv = make(d.prototxt("Deconvolution"));
  deconv->setup({&b}, {&db});
  REQUIRE(deconv->blobs()[0]->shape() == conv->blobs()[0]->shape());
  set(*deconv->blobs()[0], data(*conv->blobs()[0]));
  deconv->forward({&b}, {&db});
  // The sizes round: H 7 -> 4 -> 7, but W 6 -> 2 -> 5.
  REQUIRE(db.shape() == std::vector<int>{s.num, 4, 7, 5});
  double lhs = 0, rhs = 0;
  for (int i = 0; i < ca.count(); ++i) lhs += double(ca.data()[i]) * b.data()[i];
  for (int n = 0; n < s.num; ++n)
    for (int c = 0; c < 4; ++c)
      for (int h = 0; h < 7; ++h)
        for (int w = 0; w < 5; ++w)  // column 5 of `a` is never read by the convolution
          rhs += double(a.data()[a.offset(n, c, h, w)]) * db.data()[db.offset(n, c, h, w)];
  REQUIRE(lhs == Approx(rhs).epsilon(1e-5));
}

TEST_CASE("Deconvolution gradients match numeric differences", "[layers][deconv]") {
  SECTION("plain") {
    DeconvRun r(spec(2, 3, 4, 3, 3));
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
  SECTION("stride, pad, groups, dilation") {
    ConvSpec s = spec(4, 3, 3, 2, 2);
    s.stride_h = 2;
    s.stride_w = 3;
    s.pad_h = s.pad_w = 1;
    s.group = 2;
    s.dilation_w = 2;
    DeconvRun r(s);
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
  SECTION("1x1, no bias, one sample") {
    ConvSpec s = spec(3, 2, 3, 2, 1);
    s.bias = false;
    s.num = 1;
    DeconvRun r(s);
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
}

TEST_CASE("Deconvolution rejects an output that vanishes", "[layers][deconv]") {
  Blob x({1, 2, 1, 1}), y;
  require_error(
      [&] {
        make(
            "name: 'up' type: 'Deconvolution' convolution_param { num_output: 2 kernel_size: 2 "
            "pad: 1 }")
            ->setup({&x}, {&y});
      },
      "layer 'up' (Deconvolution): kernel 2x2");
}

}  // namespace cortado::test::vision
