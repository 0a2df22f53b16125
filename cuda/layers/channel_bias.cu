#include <cstdint>

#include "cuda/layers/block_total.cuh"
#include "cuda/layers/channel_bias.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {
namespace {

__global__ void add_channel_bias_kernel(int64_t count, int channels, int spatial, const float* bias,
                                        float* y) {
  CORTADO_KERNEL_LOOP(i, count) { y[i] += bias[(i / spatial) % channels]; }
}

// One block per channel, its threads striding over the num * spatial values of it;
// a fixed order, so the gradient does not change from run to run.
__global__ void channel_bias_grad_kernel(int num, int channels, int spatial, const float* dy,
                                         float* dbias) {
  const int c = blockIdx.x;
  const int64_t per_channel = int64_t(num) * spatial;
  float sum = 0.f;
  for (int64_t k = threadIdx.x; k < per_channel; k += kTotalThreads) {
    const int64_t n = k / spatial, s = k % spatial;
    sum += dy[(n * channels + c) * spatial + s];
  }
  sum = block_total(sum);
  if (threadIdx.x == 0) dbias[c] += sum;
}

}  // namespace

void add_channel_bias(int num, int channels, int spatial, const float* bias, float* y) {
  const int64_t count = int64_t(num) * channels * spatial;
  if (count <= 0) return;
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
