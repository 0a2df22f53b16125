// Per-layer CPU timings of the vision layers at LeNet (batch 64) and CaffeNet
// (batch 16, 227x227) shapes. Hidden from CI; run with
//   build/bin/test_layers "[.bench]"   (OMP_NUM_THREADS picks the thread count)
// CORTADO_BENCH_CLOCK=cpu times process CPU time instead of the wall clock: with
// one thread on a shared machine it leaves out the time the process waits for a core.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <tuple>

#include "math/im2col.hpp"
#include "math/threads.hpp"
#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

double now_ms() {
  static const bool cpu = std::getenv("CORTADO_BENCH_CLOCK") &&
                          std::strcmp(std::getenv("CORTADO_BENCH_CLOCK"), "cpu") == 0;
  timespec t;
  clock_gettime(cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

struct Timing {
  double forward_ms, backward_ms;  // median
  double forward_min, backward_min;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// Median and minimum over `iters` runs after one warm-up (the minimum is what a
// quiet machine gives; the median shows the noise of a shared one). The first
// layer of a net does not propagate to its bottom (the data), as in `caffe time`.
Timing time_layer(const std::string& text, const std::vector<int>& shape, bool to_bottom,
                  int iters) {
  Blob x(shape), y;
  fill_gaussian(x, 0.f, 1.f, 1);
  auto layer = make(text);
  layer->setup({&x}, {&y});
  for (auto& p : layer->blobs()) fill_gaussian(*p, 0.f, 0.1f, 2);
  fill_gaussian(y, 0.f, 1.f, 3);
  std::copy(y.data(), y.data() + y.count(), y.mutable_diff());
  std::vector<double> f, b;
  for (int i = 0; i <= iters; ++i) {
    const double t0 = now_ms();
    layer->forward({&x}, {&y});
    const double t1 = now_ms();
    layer->backward({&y}, {to_bottom}, {&x});
    const double t2 = now_ms();
    if (i == 0) continue;
    f.push_back(t1 - t0);
    b.push_back(t2 - t1);
  }
  return {median(f), median(b), minimum(f), minimum(b)};
}

struct BenchLayer {
  const char* name;
  std::string text;
  std::vector<int> shape;
  bool to_bottom;
};

void run(const char* net, const std::vector<BenchLayer>& layers, int iters) {
  std::printf("%s, %d threads, %d runs\n%-8s %10s %10s %10s %10s\n", net, cpu_threads(), iters,
              "layer", "fwd med", "bwd med", "fwd min", "bwd min");
  Timing sum{0, 0, 0, 0};
  for (const auto& l : layers) {
    const Timing t = time_layer(l.text, l.shape, l.to_bottom, iters);
    std::printf("%-8s %10.3f %10.3f %10.3f %10.3f\n", l.name, t.forward_ms, t.backward_ms,
                t.forward_min, t.backward_min);
    sum = {sum.forward_ms + t.forward_ms, sum.backward_ms + t.backward_ms,
           sum.forward_min + t.forward_min, sum.backward_min + t.backward_min};
  }
  std::printf("%-8s %10.3f %10.3f %10.3f %10.3f   fwd+bwd: median %.2f ms, min %.2f ms\n\n",
              "total", sum.forward_ms, sum.backward_ms, sum.forward_min, sum.backward_min,
              sum.forward_ms + sum.backward_ms, sum.forward_min + sum.backward_min);
}

std::string conv(int out, int k, int stride = 1, int pad = 0, int group = 1) {
  return "type: 'Convolution' convolution_param { num_output: " + std::to_string(out) +
         " kernel_size: " + std::to_string(k) + " stride: " + std::to_string(stride) +
         " pad: " + std::to_string(pad) + " group: " + std::to_string(group) + " }";
}
std::string ip(int out) {
  return "type: 'InnerProduct' inner_product_param { num_output: " + std::to_string(out) + " }";
}
const std::string max_pool_2 =
    "type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 stride: 2 }";
const std::string max_pool_3 =
    "type: 'Pooling' pooling_param { pool: MAX kernel_size: 3 stride: 2 }";
const std::string lrn = "type: 'LRN' lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 }";

}  // namespace

TEST_CASE("vision layer timings at LeNet shapes", "[.bench]") {
  run("LeNet batch 64",
      {{"conv1", conv(20, 5), {64, 1, 28, 28}, false},
       {"pool1", max_pool_2, {64, 20, 24, 24}, true},
       {"conv2", conv(50, 5), {64, 20, 12, 12}, true},
       {"pool2", max_pool_2, {64, 50, 8, 8}, true},
       {"ip1", ip(500), {64, 50, 4, 4}, true},
       {"ip2", ip(10), {64, 500}, true}},
      50);
}

TEST_CASE("vision layer timings at CaffeNet shapes", "[.bench]") {
  run("CaffeNet batch 16",
      {{"conv1", conv(96, 11, 4), {16, 3, 227, 227}, false},
       {"pool1", max_pool_3, {16, 96, 55, 55}, true},
       {"norm1", lrn, {16, 96, 27, 27}, true},
       {"conv2", conv(256, 5, 1, 2, 2), {16, 96, 27, 27}, true},
       {"pool2", max_pool_3, {16, 256, 27, 27}, true},
       {"norm2", lrn, {16, 256, 13, 13}, true},
       {"conv3", conv(384, 3, 1, 1), {16, 256, 13, 13}, true},
       {"conv4", conv(384, 3, 1, 1, 2), {16, 384, 13, 13}, true},
       {"conv5", conv(256, 3, 1, 1, 2), {16, 384, 13, 13}, true},
       {"pool5", max_pool_3, {16, 256, 13, 13}, true},
       {"fc6", ip(4096), {16, 256, 6, 6}, true},
       {"fc7", ip(4096), {16, 4096}, true},
       {"fc8", ip(1000), {16, 4096}, true}},
      5);
}

}  // namespace cortado::test::vision

namespace cortado::test::vision {

TEST_CASE("im2col and col2im timings at LeNet conv2 and CaffeNet conv2 shapes", "[.bench]") {
  // LeNet conv2: 64 x 20 x 12 x 12, 5x5 -> 8x8; CaffeNet conv2: 16 x 96 x 27 x 27, 5x5 pad 2.
  for (auto [name, num, g] :
       {std::tuple{"lenet conv2", 64, ConvGeometry{20, 12, 12, 5, 5, 0, 0, 1, 1, 1, 1, 8, 8}},
        std::tuple{"caffenet conv2", 16,
                   ConvGeometry{96, 27, 27, 5, 5, 2, 2, 1, 1, 1, 1, 27, 27}}}) {
    Blob im({num, g.channels, g.height, g.width}), col({g.col_rows(), num * g.col_spatial()});
    fill_gaussian(im, 0.f, 1.f, 1);
    auto best = [](auto f) {
      double b = 1e9;
      for (int i = 0; i < 20; ++i) {
        const double t0 = now_ms();
        f();
        b = std::min(b, now_ms() - t0);
      }
      return b;
    };
    const double t_im2col = best([&] { im2col(g, im.data(), num, col.mutable_data()); });
    const double t_col2im = best([&] { col2im(g, col.data(), num, im.mutable_data()); });
    std::printf("%-16s %d threads: im2col %.3f ms, col2im %.3f ms (min of 20)\n", name,
                cpu_threads(), t_im2col, t_col2im);
  }
}

}  // namespace cortado::test::vision
