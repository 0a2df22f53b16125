// Pooling's GPU half (its CPU half is libcore/layers/pooling.cpp). Own kernels, not
// cuDNN's: cuDNN's output size and average divisor differ from Caffe's in some
// cases (the ceil rule, windows clipped to the padded image). Every window is the
// CPU's Span: [start, end) inside the image, its divisor the extent clipped only to
// the padded image. Backward gathers over the windows covering each bottom element
// in the CPU's order (rows, then columns), so there are no atomics and the sums are
// the CPU's.
#include <algorithm>
#include <cfloat>
#include <cstdint>

#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/pooling.hpp"

namespace cortado::gpu {
namespace {

struct PoolGeometry {
  int height, width, pooled_h, pooled_w;
  int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};

// Output o's window along one axis (PoolingLayer::spans).
struct Window {
  int start, end, padded;
};
__device__ Window window(int o, int k, int pad, int stride, int in) {
  const int s = o * stride - pad;
  const int padded_end = min(s + k, in + pad);
  return {max(s, 0), min(padded_end, in), padded_end - s};
}

// The outputs whose windows may cover input i along one axis: [first, last).
__device__ void covering(int i, int k, int pad, int stride, int out, int* first, int* last) {
  *first = i + pad < k ? 0 : (i + pad - k) / stride + 1;
  *last = min((i + pad) / stride + 1, out);
}

template <class Index>
__global__ void max_pool_forward_kernel(Index count, PoolGeometry g, const float* x, float* y,
                                        int* argmax, float* mask) {
  chain_wait();
  CORTADO_KERNEL_LOOP_AS(Index, k, count) {
    const int pw = k % g.pooled_w, ph = (k / g.pooled_w) % g.pooled_h;
    const float* src = x + (k / (Index(g.pooled_w) * g.pooled_h)) * g.height * g.width;
    const Window r = window(ph, g.kernel_h, g.pad_h, g.stride_h, g.height);
    const Window c = window(pw, g.kernel_w, g.pad_w, g.stride_w, g.width);
    // The first maximum wins ties (strict >); a NaN never wins, as on the CPU.
    float best = -FLT_MAX;
    int best_i = -1;
    for (int h = r.start; h < r.end; ++h)
      for (int i = h * g.width + c.start; i < h * g.width + c.end; ++i)
        if (src[i] > best) {
          best = src[i];
          best_i = i;
        }
    y[k] = best;
    argmax[k] = best_i;
    if (mask) mask[k] = static_cast<float>(best_i);
  }
}

template <class Index>
__global__ void ave_pool_forward_kernel(Index count, PoolGeometry g, const float* x, float* y) {
  chain_wait();
  CORTADO_KERNEL_LOOP_AS(Index, k, count) {
    const int pw = k % g.pooled_w, ph = (k / g.pooled_w) % g.pooled_h;
    const float* src = x + (k / (Index(g.pooled_w) * g.pooled_h)) * g.height * g.width;
    const Window r = window(ph, g.kernel_h, g.pad_h, g.stride_h, g.height);
    const Window c = window(pw, g.kernel_w, g.pad_w, g.stride_w, g.width);
    float sum = 0.f;
    for (int h = r.start; h < r.end; ++h)
      for (int w = c.start; w < c.end; ++w) sum += src[h * g.width + w];
    y[k] = sum / static_cast<float>(r.padded * c.padded);
  }
}

// Backward: a block is a 32 x 8 tile of one bottom plane at a time (blockIdx.z steps
// through the planes), so that a thread's row and column come from its indices, not
// from divisions, and the covering windows of the tile's 32 columns and 8 rows are
// worked out once per block (integer division per element made this kernel compute
// bound: 1 ms for AlexNet's pool1 on an H100).
constexpr int kTileW = 32, kTileH = 8;

struct Covering {
  int pw0[kTileW], pw1[kTileW], ph0[kTileH], ph1[kTileH];
};

__device__ void cover_tile(const PoolGeometry& g, Covering* c) {
  const int tx = threadIdx.x, ty = threadIdx.y;
  if (ty == 0)
    covering(blockIdx.x * kTileW + tx, g.kernel_w, g.pad_w, g.stride_w, g.pooled_w, &c->pw0[tx],
             &c->pw1[tx]);
  if (ty == 1 && tx < kTileH)
    covering(blockIdx.y * kTileH + tx, g.kernel_h, g.pad_h, g.stride_h, g.pooled_h, &c->ph0[tx],
             &c->ph1[tx]);
  __syncthreads();
}

__global__ void max_pool_backward_kernel(int64_t planes, PoolGeometry g, const float* dy,
                                         const int* argmax, float* dx) {
  chain_wait();
  __shared__ Covering c;
  cover_tile(g, &c);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int w = blockIdx.x * kTileW + tx, h = blockIdx.y * kTileH + ty;
  if (w >= g.width || h >= g.height) return;
  const int self = h * g.width + w;
  for (int64_t p = blockIdx.z; p < planes; p += gridDim.z) {
    const int64_t out = p * g.pooled_h * g.pooled_w;
    float sum = 0.f;
    for (int ph = c.ph0[ty]; ph < c.ph1[ty]; ++ph)
      for (int pw = c.pw0[tx]; pw < c.pw1[tx]; ++pw) {
        const int64_t o = out + ph * g.pooled_w + pw;
        if (argmax[o] == self) sum += dy[o];
      }
    dx[p * g.height * g.width + self] = sum;
  }
}

__global__ void ave_pool_backward_kernel(int64_t planes, PoolGeometry g, const float* dy,
                                         float* dx) {
  chain_wait();
  __shared__ Covering c;
  cover_tile(g, &c);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int w = blockIdx.x * kTileW + tx, h = blockIdx.y * kTileH + ty;
  if (w >= g.width || h >= g.height) return;
  for (int64_t p = blockIdx.z; p < planes; p += gridDim.z) {
    const int64_t out = p * g.pooled_h * g.pooled_w;
    float sum = 0.f;
    for (int ph = c.ph0[ty]; ph < c.ph1[ty]; ++ph) {
      const int rows = window(ph, g.kernel_h, g.pad_h, g.stride_h, g.height).padded;
      for (int pw = c.pw0[tx]; pw < c.pw1[tx]; ++pw) {
        const int cols = window(pw, g.kernel_w, g.pad_w, g.stride_w, g.width).padded;
        sum += dy[out + ph * g.pooled_w + pw] / static_cast<float>(rows * cols);
      }
    }
    dx[p * g.height * g.width + h * g.width + w] = sum;
  }
}

// Forward: one launch per pooling method, indexed by Index (fits_int).
template <class Index>
void pool_forward(Index count, const PoolGeometry& g, bool max, const float* x, float* y,
                  int* argmax, float* mask) {
  cudaStream_t stream = Context::get().stream();
  if (max)
    launch("max_pool_forward", max_pool_forward_kernel<Index>, blocks_for(count), kThreads, stream,
           count, g, x, y, argmax, mask);
  else
    launch("pooling_forward", ave_pool_forward_kernel<Index>, blocks_for(count), kThreads, stream,
           count, g, x, y);
}

void pool_backward(int64_t planes, const PoolGeometry& g, bool max, const float* dy,
                   const int* argmax, float* dx) {
  const dim3 block(kTileW, kTileH);
  const dim3 grid((g.width + kTileW - 1) / kTileW, (g.height + kTileH - 1) / kTileH,
                  static_cast<unsigned>(std::min<int64_t>(planes, 65535)));
  cudaStream_t stream = Context::get().stream();
  if (max)
    launch("max_pool_backward", max_pool_backward_kernel, grid, block, stream, planes, g, dy,
           argmax, dx);
  else
    launch("pooling_backward", ave_pool_backward_kernel, grid, block, stream, planes, g, dy, dx);
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void PoolingLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const gpu::PoolGeometry g{height_,   width_,    pooled_h_, pooled_w_, kernel_h_,
                            kernel_w_, stride_h_, stride_w_, pad_h_,    pad_w_};
  const int64_t count = top[0]->count();
  if (count == 0) return;
  int* argmax = nullptr;
  float* mask = nullptr;
  if (is_max()) {
    argmax_gpu_.reshape({top[0]->count()});
    argmax = reinterpret_cast<int*>(argmax_gpu_.mutable_gpu_data());
    if (top.size() > 1) mask = top[1]->mutable_gpu_data();
  }
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  if (gpu::fits_int(count))
    gpu::pool_forward<int>(static_cast<int>(count), g, is_max(), x, y, argmax, mask);
  else
    gpu::pool_forward<int64_t>(count, g, is_max(), x, y, argmax, mask);
}

void PoolingLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const gpu::PoolGeometry g{height_,   width_,    pooled_h_, pooled_w_, kernel_h_,
                            kernel_w_, stride_h_, stride_w_, pad_h_,    pad_w_};
  if (bottom[0]->count() == 0) return;
  const int* argmax = is_max() ? reinterpret_cast<const int*>(argmax_gpu_.gpu_data()) : nullptr;
  const int64_t planes = bottom[0]->count() / (int64_t(height_) * width_);
  gpu::pool_backward(planes, g, is_max(), top[0]->gpu_diff(), argmax,
                     bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
