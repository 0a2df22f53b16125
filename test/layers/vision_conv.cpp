// Convolution: shapes, parameters, forward against direct loops, gradients.
#include "math/threads.hpp"
#include "vision_conv_ref.hpp"
#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

// Sets the layer up on a random bottom of the spec's shape with random weights.
struct ConvRun {
  std::unique_ptr<Layer> layer;
  Blob x, y;

  ConvRun(const ConvSpec& s, unsigned seed = 1)
      : layer(make(s.prototxt("Convolution"))), x({s.num, s.channels, s.height, s.width}) {
    fill_gaussian(x, 0.f, 1.f, seed);
    layer->setup({&x}, {&y});
    for (size_t i = 0; i < layer->blobs().size(); ++i)
      fill_gaussian(*layer->blobs()[i], 0.f, 1.f, seed + 10 + unsigned(i));
  }
  std::vector<float> reference(const ConvSpec& s) const {
    const float* b = s.bias ? layer->blobs()[1]->data() : nullptr;
    return conv_reference(s, x.data(), layer->blobs()[0]->data(), b);
  }
};

void check_forward(const ConvSpec& s) {
  ConvRun r(s);
  r.layer->forward({&r.x}, {&r.y});
  REQUIRE(r.y.shape() == std::vector<int>{s.num, s.num_output, s.conv_out_h(), s.conv_out_w()});
  require_close(data(r.y), r.reference(s), 1e-4f);
}

// Tests that change the thread count put it back, even when they fail.
struct RestoreThreads {
  int n = cpu_threads();
  ~RestoreThreads() { set_cpu_threads(n); }
};

// The batch's gradients equal the sums of one-sample runs with the same weights
// (checks that chunks of the batch accumulate the weight gradients correctly).
void check_backward_by_sample(const ConvSpec& s) {
  ConvRun batch(s);
  batch.layer->forward({&batch.x}, {&batch.y});
  fill_gaussian(batch.y, 0.f, 1.f, 77);
  std::copy(batch.y.data(), batch.y.data() + batch.y.count(), batch.y.mutable_diff());
  for (auto& p : batch.layer->blobs()) p->set_diff(0.f);
  batch.layer->backward({&batch.y}, {true}, {&batch.x});

  ConvSpec one = s;
  one.num = 1;
  ConvRun single(one);
  for (size_t k = 0; k < single.layer->blobs().size(); ++k) {
    set(*single.layer->blobs()[k], data(*batch.layer->blobs()[k]));
    single.layer->blobs()[k]->set_diff(0.f);
  }
  const int in = single.x.count(), out = single.y.count();
  std::vector<float> dx;
  for (int n = 0; n < s.num; ++n) {
    std::copy(batch.x.data() + n * in, batch.x.data() + (n + 1) * in, single.x.mutable_data());
    single.layer->forward({&single.x}, {&single.y});
    std::copy(batch.y.diff() + n * out, batch.y.diff() + (n + 1) * out, single.y.mutable_diff());
    single.layer->backward({&single.y}, {true}, {&single.x});
    dx.insert(dx.end(), single.x.diff(), single.x.diff() + in);
  }
  require_close(diff(batch.x), dx);
  for (size_t k = 0; k < single.layer->blobs().size(); ++k)
    require_close(diff(*batch.layer->blobs()[k]), diff(*single.layer->blobs()[k]), 1e-4f);
}

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

TEST_CASE("Convolution forward by hand: 2x2 ones over 1..9 plus bias", "[layers][conv]") {
  Blob x({1, 1, 3, 3}), y;
  set(x, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto layer = make(R"(type: "Convolution" convolution_param { num_output: 1 kernel_size: 2
      weight_filler { type: "constant" value: 1 } bias_filler { type: "constant" value: 0.5 } })");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{1, 1, 2, 2});
  require_close(data(y), {12.5f, 16.5f, 24.5f, 28.5f});
}

TEST_CASE("Convolution blobs have Caffe's shapes and are filled by the fillers", "[layers][conv]") {
  Blob x({2, 6, 7, 7}), y;
  auto layer = make(R"(type: "Convolution" convolution_param { num_output: 4 group: 2
      kernel_h: 3 kernel_w: 2 weight_filler { type: "constant" value: 0.25 }
      bias_filler { type: "constant" value: -1 } })");
  layer->setup({&x}, {&y});
  REQUIRE(layer->blobs().size() == 2);
  REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{4, 3, 3, 2});
  REQUIRE(layer->blobs()[1]->shape() == std::vector<int>{4});
  REQUIRE(data(*layer->blobs()[0]) == std::vector<float>(72, 0.25f));
  REQUIRE(data(*layer->blobs()[1]) == std::vector<float>(4, -1.f));
  REQUIRE(y.shape() == std::vector<int>{2, 4, 5, 6});
}

TEST_CASE("Convolution output size is (in + 2 pad - dilated kernel) / stride + 1",
          "[layers][conv]") {
  Blob x({1, 1, 11, 10}), y;
  auto layer = make(R"(type: "Convolution" convolution_param { num_output: 2
      kernel_size: 3 pad: 1 stride: 2 dilation: 2 })");
  layer->setup({&x}, {&y});
  // h: (11 + 2 - 5) / 2 + 1 = 5; w: (10 + 2 - 5) / 2 + 1 = 4
  REQUIRE(y.shape() == std::vector<int>{1, 2, 5, 4});
  // Reshape follows a new bottom size.
  x.reshape({3, 1, 7, 7});
  layer->reshape({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 2, 3, 3});
  // pad_h alone leaves pad_w at 0, as in Caffe.
  auto padded =
      make("type: 'Convolution' convolution_param { num_output: 1 kernel_size: 3 pad_h: 1 }");
  padded->setup({&x}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 1, 7, 5});
}

TEST_CASE("Convolution forward matches direct loops", "[layers][conv]") {
  SECTION("plain 3x3") { check_forward(spec(3, 6, 5, 4, 3)); }
  SECTION("pad and stride") {
    ConvSpec s = spec(2, 7, 8, 3, 3);
    s.pad_h = s.pad_w = 1;
    s.stride_h = s.stride_w = 2;
    check_forward(s);
  }
  SECTION("rectangular kernel, pad and stride per axis") {
    ConvSpec s = spec(2, 9, 7, 3, 1);
    s.kernel_h = 4;
    s.kernel_w = 2;
    s.pad_h = 2;
    s.pad_w = 1;
    s.stride_h = 3;
    s.stride_w = 2;
    check_forward(s);
  }
  SECTION("groups") {
    ConvSpec s = spec(6, 5, 5, 4, 3);
    s.group = 2;
    check_forward(s);
    s.group = 3;
    s.num_output = 6;
    s.pad_h = s.pad_w = 1;
    check_forward(s);
  }
  SECTION("dilation") {
    ConvSpec s = spec(2, 9, 10, 3, 3);
    s.dilation_h = 2;
    s.dilation_w = 3;
    s.pad_h = 1;
    check_forward(s);
  }
  SECTION("no bias") {
    ConvSpec s = spec(3, 5, 5, 2, 3);
    s.bias = false;
    ConvRun r(s);
    REQUIRE(r.layer->blobs().size() == 1);
    r.layer->forward({&r.x}, {&r.y});
    require_close(data(r.y), r.reference(s));
  }
  SECTION("1x1 kernels skip im2col, one sample and a batch") {
    ConvSpec s = spec(5, 4, 3, 3, 1);
    check_forward(s);
    s.num = 1;
    check_forward(s);
    s.group = 5;
    s.num_output = 5;
    check_forward(s);
  }
  SECTION("single sample") {
    ConvSpec s = spec(3, 6, 6, 2, 3);
    s.num = 1;
    s.pad_h = s.pad_w = 1;
    check_forward(s);
  }
  SECTION("a batch split into uneven chunks by the column-buffer budget") {
    // 36 column rows x 16x16 positions per sample: 14 samples fit, 17 run as 9 + 8.
    ConvSpec s = spec(4, 18, 18, 3, 3);
    s.num = 17;
    RestoreThreads restore;
    for (int threads : {1, 2}) {  // chunks in turn, then side by side
      set_cpu_threads(threads);
      check_forward(s);
      check_backward_by_sample(s);
    }
  }
}

TEST_CASE("Convolution accepts repeated kernel_size, pad and stride per axis", "[layers][conv]") {
  ConvSpec s = spec(2, 8, 9, 3, 1);
  s.kernel_h = 3;
  s.kernel_w = 2;
  s.pad_h = 1;
  s.pad_w = 0;
  s.stride_h = 2;
  s.stride_w = 3;
  auto layer = make(R"(type: "Convolution" convolution_param { num_output: 3
      kernel_size: 3 kernel_size: 2 pad: 1 pad: 0 stride: 2 stride: 3 })");
  Blob x({s.num, s.channels, s.height, s.width}), y;
  fill_gaussian(x, 0.f, 1.f, 5);
  layer->setup({&x}, {&y});
  fill_gaussian(*layer->blobs()[0], 0.f, 1.f, 6);
  fill_gaussian(*layer->blobs()[1], 0.f, 1.f, 7);
  layer->forward({&x}, {&y});
  require_close(data(y),
                conv_reference(s, x.data(), layer->blobs()[0]->data(), layer->blobs()[1]->data()));
}

TEST_CASE("Convolution with several bottoms shares one set of weights", "[layers][conv]") {
  ConvSpec s = spec(2, 5, 5, 3, 3);
  Blob x1({2, 2, 5, 5}), x2({2, 2, 5, 5}), y1, y2;
  fill_gaussian(x1, 0.f, 1.f, 1);
  fill_gaussian(x2, 0.f, 1.f, 2);
  auto layer = make(s.prototxt("Convolution"));
  layer->setup({&x1, &x2}, {&y1, &y2});
  fill_gaussian(*layer->blobs()[0], 0.f, 1.f, 3);
  fill_gaussian(*layer->blobs()[1], 0.f, 1.f, 4);
  layer->forward({&x1, &x2}, {&y1, &y2});
  const float* w = layer->blobs()[0]->data();
  const float* b = layer->blobs()[1]->data();
  require_close(data(y1), conv_reference(s, x1.data(), w, b));
  require_close(data(y2), conv_reference(s, x2.data(), w, b));
  check_gradients(*layer, {&x1, &x2}, {&y1, &y2});
}

TEST_CASE("Convolution axis: leading axes are samples; 1-d convolution", "[layers][conv]") {
  SECTION("axis 2 of a 5-d bottom") {
    ConvSpec s = spec(3, 5, 6, 2, 3);
    s.num = 4;  // 2 x 2 leading axes
    Blob x({2, 2, 3, 5, 6}), y;
    fill_gaussian(x, 0.f, 1.f, 8);
    auto layer =
        make(R"(type: "Convolution" convolution_param { num_output: 2 kernel_size: 3 axis: 2 })");
    layer->setup({&x}, {&y});
    fill_gaussian(*layer->blobs()[0], 0.f, 1.f, 9);
    fill_gaussian(*layer->blobs()[1], 0.f, 1.f, 10);
    layer->forward({&x}, {&y});
    REQUIRE(y.shape() == std::vector<int>{2, 2, 2, 3, 4});
    require_close(
        data(y), conv_reference(s, x.data(), layer->blobs()[0]->data(), layer->blobs()[1]->data()));
  }
  SECTION("one spatial axis") {
    ConvSpec s = spec(2, 1, 9, 3, 1);
    s.kernel_w = 3;
    s.pad_w = 1;
    s.stride_w = 2;
    Blob x({2, 2, 9}), y;
    fill_gaussian(x, 0.f, 1.f, 11);
    auto layer = make(
        R"(type: "Convolution" convolution_param { num_output: 3 kernel_size: 3 pad: 1 stride: 2 })");
    layer->setup({&x}, {&y});
    REQUIRE(layer->blobs()[0]->shape() == std::vector<int>{3, 2, 3});
    fill_gaussian(*layer->blobs()[0], 0.f, 1.f, 12);
    fill_gaussian(*layer->blobs()[1], 0.f, 1.f, 13);
    layer->forward({&x}, {&y});
    REQUIRE(y.shape() == std::vector<int>{2, 3, 5});
    require_close(
        data(y), conv_reference(s, x.data(), layer->blobs()[0]->data(), layer->blobs()[1]->data()));
    check_gradients(*layer, {&x}, {&y});
  }
}

TEST_CASE("Convolution gradients match numeric differences", "[layers][conv]") {
  SECTION("plain") {
    ConvRun r(spec(2, 5, 4, 3, 3));
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
  SECTION("pad, stride, rectangular kernel") {
    ConvSpec s = spec(2, 6, 5, 2, 1);
    s.kernel_h = 3;
    s.kernel_w = 2;
    s.pad_h = 1;
    s.pad_w = 2;
    s.stride_h = 2;
    ConvRun r(s);
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
  SECTION("groups and dilation") {
    ConvSpec s = spec(4, 6, 6, 4, 2);
    s.group = 2;
    s.dilation_h = s.dilation_w = 2;
    s.pad_h = s.pad_w = 1;
    ConvRun r(s);
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
  SECTION("1x1 without bias") {
    ConvSpec s = spec(3, 3, 4, 2, 1);
    s.bias = false;
    ConvRun r(s);
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
  SECTION("one sample") {
    ConvSpec s = spec(2, 5, 5, 2, 3);
    s.num = 1;
    s.stride_h = s.stride_w = 2;
    ConvRun r(s);
    check_gradients(*r.layer, {&r.x}, {&r.y});
  }
}

TEST_CASE("Convolution param gradients accumulate; frozen params are left alone",
          "[layers][conv]") {
  ConvRun r(spec(2, 4, 4, 2, 3));
  r.layer->forward({&r.x}, {&r.y});
  fill_gaussian(r.y, 0.f, 1.f, 3);  // data unused by backward
  std::copy(r.y.data(), r.y.data() + r.y.count(), r.y.mutable_diff());
  auto& w = *r.layer->blobs()[0];
  auto& b = *r.layer->blobs()[1];
  w.set_diff(0.f);
  b.set_diff(0.f);
  r.layer->backward({&r.y}, {true}, {&r.x});
  const auto once_w = diff(w), once_b = diff(b);
  r.layer->backward({&r.y}, {true}, {&r.x});
  for (size_t i = 0; i < once_w.size(); ++i) REQUIRE(w.diff()[i] == Approx(2 * once_w[i]));
  for (size_t i = 0; i < once_b.size(); ++i) REQUIRE(b.diff()[i] == Approx(2 * once_b[i]));

  w.set_diff(0.f);
  b.set_diff(0.f);
  r.layer->set_param_propagate_down(0, false);
  r.layer->set_param_propagate_down(1, false);
  r.layer->backward({&r.y}, {false}, {&r.x});
  REQUIRE(w.asum_diff() == 0.f);
  REQUIRE(b.asum_diff() == 0.f);
}

TEST_CASE("Convolution and Deconvolution give the same results on 1, 2 and 3 threads",
          "[layers][conv][deconv]") {
  // 1 thread: the batch runs as one multi-sample GEMM; more: chunks side by side,
  // each thread summing its own weight gradient.
  RestoreThreads restore;
  for (const char* type : {"Convolution", "Deconvolution"}) {
    ConvSpec s = spec(4, 6, 5, 6, 3);
    s.num = 5;
    s.pad_h = s.pad_w = 1;
    s.group = 2;
    std::vector<std::vector<float>> first;
    for (int threads : {1, 2, 3}) {
      INFO(type << " on " << threads << " threads");
      set_cpu_threads(threads);
      auto layer = make(s.prototxt(type));
      Blob x({s.num, s.channels, s.height, s.width}), y;
      fill_gaussian(x, 0.f, 1.f, 1);
      layer->setup({&x}, {&y});
      fill_gaussian(*layer->blobs()[0], 0.f, 1.f, 2);
      fill_gaussian(*layer->blobs()[1], 0.f, 1.f, 3);
      layer->forward({&x}, {&y});
      fill_gaussian(y, 0.f, 1.f, 4);
      std::copy(y.data(), y.data() + y.count(), y.mutable_diff());
      layer->forward({&x}, {&y});
      for (auto& p : layer->blobs()) p->set_diff(0.f);
      layer->backward({&y}, {true}, {&x});
      std::vector<std::vector<float>> got = {data(y), diff(x), diff(*layer->blobs()[0]),
                                             diff(*layer->blobs()[1])};
      if (first.empty()) {
        const float* w = layer->blobs()[0]->data();
        const float* b = layer->blobs()[1]->data();
        require_close(got[0], std::string(type) == "Convolution"
                                  ? conv_reference(s, x.data(), w, b)
                                  : deconv_reference(s, x.data(), w, b));
        first = got;
      }
      for (size_t k = 0; k < got.size(); ++k) require_close(got[k], first[k], 1e-5f);
    }
  }
}

TEST_CASE("Convolution backward inside another parallel region adds no stale gradients",
          "[layers][conv]") {
  // A nested OpenMP region runs on one thread; the other thread's gradient buffer,
  // filled by an earlier backward, must not leak into the sum.
  RestoreThreads restore;
  set_cpu_threads(2);
  ConvSpec s = spec(3, 6, 6, 2, 3);
  s.num = 4;
  ConvRun r(s);
  r.layer->forward({&r.x}, {&r.y});
  fill_gaussian(r.y, 0.f, 1.f, 5);
  std::copy(r.y.data(), r.y.data() + r.y.count(), r.y.mutable_diff());
  auto& w = *r.layer->blobs()[0];
  w.set_diff(0.f);
  r.layer->backward({&r.y}, {true}, {&r.x});
  const auto want = diff(w);
  w.set_diff(0.f);
#pragma omp parallel num_threads(2)
  {
#pragma omp single
    r.layer->backward({&r.y}, {true}, {&r.x});
  }
  require_close(diff(w), want);
}

TEST_CASE("Convolution rejects bad parameters with the layer's name", "[layers][conv]") {
  Blob x({1, 4, 5, 5}), y;
  auto setup = [&](const std::string& p) {
    return [&, p] {
      make("name: 'c1' type: 'Convolution' convolution_param { " + p + " }")->setup({&x}, {&y});
    };
  };
  require_error(setup("num_output: 2"), "layer 'c1' (Convolution): kernel_size must be given");
  require_error(setup("num_output: 3 kernel_size: 3 group: 2"),
                "num_output 3 is not divisible by group 2");
  require_error(setup("num_output: 2 kernel_size: 3 group: 3"),
                "4 channels are not divisible by group 3");
  require_error(setup("kernel_size: 3"), "num_output must be given");
  require_error(setup("num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3"), "not both");
  require_error(setup("num_output: 2 kernel_h: 3"), "kernel_h and kernel_w must be given together");
  require_error(setup("num_output: 2 kernel_size: 1 kernel_size: 2 kernel_size: 3"),
                "expected 1 or 2");
  require_error(setup("num_output: 2 kernel_size: 0"), "kernel dimensions must be positive");
  require_error(setup("num_output: 2 kernel_size: 7"), "gives no output");
  require_error(setup("num_output: 2 kernel_size: 3 axis: 4"), "axis 4 is out of range");
}

}  // namespace cortado::test::vision
