#include <algorithm>
#include <cstdint>

#include "cuda/layers/block_total.cuh"
#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/relu.cuh"
#include "cuda/layers/relu.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

// Small planes (InnerProduct: spatial 1): one thread per element. With Relu the
// ReLU (fused into the layer) follows in the same pass.
template <bool Relu>
__global__ void add_channel_bias_kernel(int64_t count, int channels, int spatial, const float* bias,
                                        float* y, float slope) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, count) {
    const float v = y[i] + bias[(i / spatial) % channels];
    y[i] = Relu ? relu_value(v, slope) : v;
  }
}

// Convolution outputs: blocks over the (n, c) planes, threads along each plane, so the
// channel is found once per plane rather than by a 64-bit division per element.
template <bool Relu>
__global__ void add_channel_bias_planes_kernel(int64_t planes, int channels, int spatial,
                                               const float* bias, float* y, float slope) {
  chain_wait();
  for (int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const float b = bias[p % channels];
    float* row = y + p * spatial;
    for (int s = threadIdx.x; s < spatial; s += blockDim.x) {
      const float v = row[s] + b;
      row[s] = Relu ? relu_value(v, slope) : v;
    }
  }
}

// Blocks per channel (blockIdx.y of gridDim.y: slices of its num * spatial values,
// each summed into partial[c][slice] for sum_slices_kernel; one slice: straight into
// dbias[c]), their threads striding over the slice, each keeping kUnroll sums and
// issuing kUnroll loads before it uses any, so that as many are in flight. Few
// channels would be few blocks (LeNet's conv1 has 20, AlexNet's 96, fewer than an
// H100's 132 SMs): they get several slices. A fixed order, so the gradient does not
// change from run to run.
constexpr int kUnroll = 8;
constexpr int kBiasGradBlocks = 264;  // slices are added until about this many blocks

// With Relu (fused into the layer) each value is first masked by the ReLU's
// derivative at y and written back: dy_out is then dy itself, y the ReLU's output.
// The loads of a round all come before its stores: a store to dy_out may alias the
// next load of dy as far as the compiler knows, which would serialise them (an H100
// ran conv1's 300 MB at 0.6 TB/s that way).
template <class Index, bool Relu>
__global__ void __launch_bounds__(kTotalThreads)
    channel_bias_grad_kernel(int num, int channels, int spatial, Index per_slice, const float* dy,
                             float* dbias, float* partial, const float* y, float slope,
                             float* dy_out) {
  chain_wait();
  const int c = blockIdx.x;
  const Index per_channel = Index(num) * spatial;
  const Index first = Index(blockIdx.y) * per_slice;
  const Index end = per_channel - first < per_slice ? per_channel : first + per_slice;
  auto index_of = [&](Index j) {
    const Index n = j / spatial;
    return (n * channels + c) * spatial + (j - n * spatial);
  };
  float acc[kUnroll] = {};
  Index j = first + threadIdx.x;
  for (; j + (kUnroll - 1) * kTotalThreads < end; j += kUnroll * kTotalThreads) {
    Index at[kUnroll];
    float v[kUnroll], out[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      at[u] = index_of(j + u * kTotalThreads);
      v[u] = dy[at[u]];
      if (Relu) out[u] = y[at[u]];
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (Relu) {
        v[u] *= relu_slope_at(out[u], slope);
        dy_out[at[u]] = v[u];
      }
      acc[u] += v[u];
    }
  }
  for (; j < end; j += kTotalThreads) {
    const Index i = index_of(j);
    float v = dy[i];
    if (Relu) {
      v *= relu_slope_at(y[i], slope);
      dy_out[i] = v;
    }
    acc[0] += v;
  }
  float sum = 0.f;
#pragma unroll
  for (int u = 0; u < kUnroll; ++u) sum += acc[u];
  sum = block_total(sum);
  if (threadIdx.x != 0) return;
  if (gridDim.y == 1)
    dbias[c] += sum;
  else
    partial[c * gridDim.y + blockIdx.y] = sum;
}

// Where the slices' sums go: channels x slices <= kBiasGradBlocks whenever there are
// several. One buffer a stream (the side stream sums bias gradients too, at the same
// time as the main one: cuda/util/side_work.hpp), each allocated at its stream's first
// call (an eager step, before any capture) and kept, as cuBLAS's workspace is; the
// passes queued on one stream use its buffer in turn.
float* slice_sums() {
  static float* sums[2] = {nullptr, nullptr};
  float*& mine = sums[Context::lane()];
  if (!mine) mine = static_cast<float*>(device_malloc(kBiasGradBlocks * sizeof(float)));
  return mine;
}

// InnerProduct's (spatial 1: a channel's values are a column, num rows apart): a block
// of 32 channels x kColumnGroups groups of rows, each thread summing every
// kColumnGroups-th row of its column in order (neighbouring threads on neighbouring
// values), the groups' sums added in group order. One block a channel would leave most
// of its threads idle on LeNet's 64 rows and pay for a 512-thread reduction.
constexpr int kColumnGroups = 8;

template <bool Relu>
__global__ void column_bias_grad_kernel(int num, int channels, const float* dy, float* dbias,
                                        const float* y, float slope, float* dy_out) {
  chain_wait();
  __shared__ float part[kColumnGroups][32];
  const int c = blockIdx.x * 32 + threadIdx.x;
  float acc = 0.f;
  if (c < channels) {
#pragma unroll 4
    for (int n = threadIdx.y; n < num; n += kColumnGroups) {
      const int64_t i = int64_t(n) * channels + c;
      float v = dy[i];
      if (Relu) {
        v *= relu_slope_at(y[i], slope);
        dy_out[i] = v;
      }
      acc += v;
    }
  }
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y != 0 || c >= channels) return;
  float sum = 0.f;
  for (int g = 0; g < kColumnGroups; ++g) sum += part[g][threadIdx.x];
  dbias[c] += sum;
}

// dbias[c] += the sum of partial[c][0..slices), in slice order.
__global__ void sum_slices_kernel(int channels, int slices, const float* partial, float* dbias) {
  chain_wait();
  CORTADO_KERNEL_LOOP(c, channels) {
    float sum = 0.f;
    for (int s = 0; s < slices; ++s) sum += partial[c * slices + s];
    dbias[c] += sum;
  }
}

// The bias gradient kernel for the index type the size allows, in as many slices a
// channel as bring the grid near kBiasGradBlocks blocks, each slice a whole number of
// values a thread (of a block's unrolled rounds, where a slice has one or more).
template <bool Relu>
void launch_bias_grad(int num, int channels, int spatial, const float* dy, float* dbias,
                      const float* y, float slope, float* dy_out) {
  cudaStream_t stream = Context::get().stream();
  if (spatial == 1) {
    const dim3 block(32, kColumnGroups);
    launch("column_bias_grad", column_bias_grad_kernel<Relu>, (channels + 31) / 32, block, stream,
           num, channels, dy, dbias, y, slope, dy_out);
    return;
  }
  const int64_t per_channel = int64_t(num) * spatial, round = int64_t(kUnroll) * kTotalThreads;
  const int64_t steps = (per_channel + kTotalThreads - 1) / kTotalThreads;
  const int64_t wanted = std::clamp<int64_t>(kBiasGradBlocks / channels, 1, steps);
  int64_t per_slice = (steps + wanted - 1) / wanted * kTotalThreads;
  if (per_slice > round) per_slice = (per_slice + round - 1) / round * round;
  const int slices = static_cast<int>((per_channel + per_slice - 1) / per_slice);
  float* partial = slices > 1 ? slice_sums() : nullptr;
  const dim3 grid(channels, slices);
  if (fits_int(int64_t(num) * channels * spatial))
    launch("channel_bias_grad", channel_bias_grad_kernel<int, Relu>, grid, kTotalThreads, stream,
           num, channels, spatial, static_cast<int>(per_slice), dy, dbias, partial, y, slope,
           dy_out);
  else
    launch("channel_bias_grad", channel_bias_grad_kernel<int64_t, Relu>, grid, kTotalThreads,
           stream, num, channels, spatial, per_slice, dy, dbias, partial, y, slope, dy_out);
  if (slices == 1) return;
  launch("sum_slices", sum_slices_kernel, blocks_for(channels), kThreads, stream, channels, slices,
         partial, dbias);
}

}  // namespace

void add_channel_bias(int num, int channels, int spatial, const float* bias, float* y,
                      std::optional<float> relu_slope) {
  const int64_t count = int64_t(num) * channels * spatial;
  if (count <= 0) return;
  if (!bias) {
    if (relu_slope) relu_forward(static_cast<int>(count), y, y, *relu_slope);
    return;
  }
  cudaStream_t stream = Context::get().stream();
  const float slope = relu_slope.value_or(0.f);
  if (spatial >= 64) {
    const int64_t planes = int64_t(num) * channels;
    const int blocks = static_cast<int>(std::min<int64_t>(planes, 65535));
    if (relu_slope)
      launch("add_channel_bias_planes", add_channel_bias_planes_kernel<true>, blocks, kThreads,
             stream, planes, channels, spatial, bias, y, slope);
    else
      launch("add_channel_bias_planes", add_channel_bias_planes_kernel<false>, blocks, kThreads,
             stream, planes, channels, spatial, bias, y, slope);
  } else if (relu_slope) {
    launch("add_channel_bias", add_channel_bias_kernel<true>, blocks_for(count), kThreads, stream,
           count, channels, spatial, bias, y, slope);
  } else {
    launch("add_channel_bias", add_channel_bias_kernel<false>, blocks_for(count), kThreads, stream,
           count, channels, spatial, bias, y, slope);
  }
}

void bias_grad_pass(int num, int channels, int spatial, const float* y,
                    std::optional<float> relu_slope, float* dy, float* dbias) {
  if (channels <= 0 || num <= 0 || spatial <= 0) return;
  if (!dbias) {
    if (relu_slope) relu_backward(num * channels * spatial, y, dy, dy, *relu_slope);
    return;
  }
  if (relu_slope)
    launch_bias_grad<true>(num, channels, spatial, dy, dbias, y, *relu_slope, dy);
  else
    bias_grad(num, channels, spatial, dy, dbias);
}

const void* bias_grad_scratch() { return slice_sums(); }

void bias_grad(int num, int channels, int spatial, const float* dy, float* dbias) {
  if (channels <= 0 || num <= 0 || spatial <= 0) return;
  launch_bias_grad<false>(num, channels, spatial, dy, dbias, nullptr, 0.f, nullptr);
}

}  // namespace cortado::gpu
