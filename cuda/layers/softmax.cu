#include <cstdint>

#include "cuda/layers/softmax.cuh"
#include "cuda/layers/softmax.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/softmax.hpp"

namespace cortado::gpu {
namespace {

// Position p = (i, j) reads channel c at i * channels * inner + c * inner + j.
__global__ void softmax_forward_kernel(int64_t positions, int channels, int inner, const float* x,
                                       float* y) {
  chain_wait();
  CORTADO_KERNEL_LOOP(p, positions) {
    const int64_t base = (p / inner) * channels * inner + p % inner;
    softmax_position(channels, inner, x + base, y + base);
  }
}

__global__ void softmax_backward_kernel(int64_t positions, int channels, int inner, const float* y,
                                        const float* dy, float* dx) {
  chain_wait();
  CORTADO_KERNEL_LOOP(p, positions) {
    const int64_t base = (p / inner) * channels * inner + p % inner;
    float dot = 0.f;
    for (int c = 0; c < channels; ++c) {
      const int64_t k = base + int64_t(c) * inner;
      dot += dy[k] * y[k];
    }
    for (int c = 0; c < channels; ++c) {
      const int64_t k = base + int64_t(c) * inner;
      dx[k] = (dy[k] - dot) * y[k];
    }
  }
}

// Contiguous rows (inner == 1) of many channels, as a classifier's 1000 scores: one
// warp per row, so that loads are coalesced and a batch of 256 rows is not 256 threads
// looping alone. Sums go by lanes, then across the warp (rounding differs from the
// CPU's sequential sums by a few ulps). The max is lane 0's after the reduction, so
// that a NaN first value stays as std::max's rule has it on the CPU.
constexpr int kWarp = 32;
constexpr int kRowsPerBlock = kThreads / kWarp;

__device__ float warp_sum(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ float warp_max_of_lane0(float m) {
  for (int o = kWarp / 2; o > 0; o /= 2) {
    const float other = __shfl_down_sync(0xffffffffu, m, o);
    m = m < other ? other : m;
  }
  return __shfl_sync(0xffffffffu, m, 0);
}

__global__ void softmax_rows_forward_kernel(int rows, int channels, const float* x, float* y) {
  chain_wait();
  const int lane = threadIdx.x % kWarp;
  for (int64_t r = int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp; r < rows;
       r += int64_t(gridDim.x) * kRowsPerBlock) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    float m = lane < channels ? xr[lane] : xr[0];
    for (int c = lane + kWarp; c < channels; c += kWarp) m = m < xr[c] ? xr[c] : m;
    m = warp_max_of_lane0(m);
    float sum = 0.f;
    for (int c = lane; c < channels; c += kWarp) {
      const float e = expf(xr[c] - m);
      yr[c] = e;
      sum += e;
    }
    sum = warp_sum(sum);
    for (int c = lane; c < channels; c += kWarp) yr[c] /= sum;
  }
}

__global__ void softmax_rows_backward_kernel(int rows, int channels, const float* y,
                                             const float* dy, float* dx) {
  chain_wait();
  const int lane = threadIdx.x % kWarp;
  for (int64_t r = int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp; r < rows;
       r += int64_t(gridDim.x) * kRowsPerBlock) {
    const int64_t base = r * channels;
    float dot = 0.f;
    for (int c = lane; c < channels; c += kWarp) dot += dy[base + c] * y[base + c];
    dot = warp_sum(dot);
    for (int c = lane; c < channels; c += kWarp) dx[base + c] = (dy[base + c] - dot) * y[base + c];
  }
}

int row_blocks(int rows) {
  return static_cast<int>(
      std::min<int64_t>((int64_t(rows) + kRowsPerBlock - 1) / kRowsPerBlock, 65536));
}

}  // namespace

// The row kernels where they pay: contiguous rows wider than a warp.
bool softmax_by_position(int inner, int channels) { return !(inner == 1 && channels >= kWarp); }

void softmax_forward(int outer, int channels, int inner, const float* x, float* y) {
  const int64_t positions = int64_t(outer) * inner;
  if (positions <= 0 || channels <= 0) return;
  if (!softmax_by_position(inner, channels)) {
    launch("softmax_rows_forward", softmax_rows_forward_kernel, row_blocks(outer), kThreads,
           Context::get().stream(), outer, channels, x, y);
    return;
  }
  launch("softmax_forward", softmax_forward_kernel, blocks_for(positions), kThreads,
         Context::get().stream(), positions, channels, inner, x, y);
}

void softmax_backward(int outer, int channels, int inner, const float* y, const float* dy,
                      float* dx) {
  const int64_t positions = int64_t(outer) * inner;
  if (positions <= 0 || channels <= 0) return;
  if (!softmax_by_position(inner, channels)) {
    launch("softmax_rows_backward", softmax_rows_backward_kernel, row_blocks(outer), kThreads,
           Context::get().stream(), outer, channels, y, dy, dx);
    return;
  }
  launch("softmax_backward", softmax_backward_kernel, blocks_for(positions), kThreads,
         Context::get().stream(), positions, channels, inner, y, dy, dx);
}

}  // namespace cortado::gpu

// The layer's GPU half (its CPU half is libcore/layers/softmax.cpp).
namespace cortado {

void SoftmaxLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::softmax_forward(outer_, channels_, inner_, bottom[0]->gpu_data(),
                       top[0]->mutable_gpu_data());
}

void SoftmaxLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::softmax_backward(outer_, channels_, inner_, top[0]->gpu_data(), top[0]->gpu_diff(),
                        bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
