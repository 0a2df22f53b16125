#include <cstdint>

#include "cuda/layers/block_total.cuh"
#include "cuda/layers/channel_bias.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {
namespace {

// Small planes (InnerProduct: spatial 1): one thread per element.
__global__ void add_channel_bias_kernel(int64_t count, int channels, int spatial, const float* bias,
                                        float* y) {
  CORTADO_KERNEL_LOOP(i, count) { y[i] += bias[(i / spatial) % channels]; }
}

// Convolution outputs: blocks over the (n, c) planes, threads along each plane, so the
// channel is found once per plane rather than by a 64-bit division per element.
__global__ void add_channel_bias_planes_kernel(int64_t planes, int channels, int spatial,
                                               const float* bias, float* y) {
  for (int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const float b = bias[p % channels];
    float* row = y + p * spatial;
    for (int s = threadIdx.x; s < spatial; s += blockDim.x) row[s] += b;
  }
}

// One block per channel, its threads striding over the num * spatial values of it;
// a fixed order, so the gradient does not change from run to run. Thread t visits
// k = t, t + kTotalThreads, ... with (n, s) = (k / spatial, k % spatial) stepped
// along instead of divided out each time.
__global__ void channel_bias_grad_kernel(int num, int channels, int spatial, const float* dy,
                                         float* dbias) {
  const int c = blockIdx.x;
  const int64_t per_channel = int64_t(num) * spatial;
  const int step_n = kTotalThreads / spatial, step_s = kTotalThreads % spatial;
  int64_t n = threadIdx.x / spatial;
  int s = threadIdx.x % spatial;
  float sum = 0.f;
  for (int64_t k = threadIdx.x; k < per_channel; k += kTotalThreads) {
    sum += dy[(n * channels + c) * spatial + s];
    n += step_n;
    s += step_s;
    if (s >= spatial) {
      s -= spatial;
      ++n;
    }
  }
  sum = block_total(sum);
  if (threadIdx.x == 0) dbias[c] += sum;
}

}  // namespace

void add_channel_bias(int num, int channels, int spatial, const float* bias, float* y) {
  const int64_t count = int64_t(num) * channels * spatial;
  if (count <= 0) return;
  if (spatial >= 64) {
    const int64_t planes = int64_t(num) * channels;
    add_channel_bias_planes_kernel<<<static_cast<int>(std::min<int64_t>(planes, 65535)), kThreads,
                                     0, Context::get().stream()>>>(planes, channels, spatial, bias,
                                                                   y);
    check_launch("add_channel_bias");
    return;
  }
  add_channel_bias_kernel<<<blocks_for(count), kThreads, 0, Context::get().stream()>>>(
      count, channels, spatial, bias, y);
  check_launch("add_channel_bias");
}

void accumulate_channel_bias_grad(int num, int channels, int spatial, const float* dy,
                                  float* dbias) {
  if (channels <= 0 || num <= 0 || spatial <= 0) return;
  channel_bias_grad_kernel<<<channels, kTotalThreads, 0, Context::get().stream()>>>(
      num, channels, spatial, dy, dbias);
  check_launch("channel_bias_grad");
}

}  // namespace cortado::gpu
