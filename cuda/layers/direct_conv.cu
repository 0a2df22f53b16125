#ifdef CORTADO_WITH_CUDNN
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>

#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/layers/direct_conv.hpp"
#include "cuda/layers/relu.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// The kernels' pointers are __restrict__: no output aliases an input, which lets the
// compiler read the inputs through the read-only cache and keep loads ahead of stores.
constexpr int kPositionThreads = 128;  // output (or input) positions a block
constexpr int kStaged = 4096;          // weights staged in shared memory at once (16 KB)

// The weight gradient's block: 32 weights (input channel, tap) of 8 output channels,
// over batches of 32 positions, each thread on every 8th position of a batch.
constexpr int kFilterOut = 8, kFilterWeights = 32, kFilterBatch = 32, kFilterLanes = 8;
constexpr int kFilterThreads = kFilterWeights * kFilterLanes;
static_assert(kFilterThreads == kFilterBatch * kFilterOut, "a batch's top diff: one a thread");
static_assert(kFilterBatch == 32, "a warp stages one channel's batch (the bias sums)");

std::atomic<long long> runs{0};

int taps(const ConvShape& s) { return s.kernel_h * s.kernel_w; }
int64_t positions(const ConvShape& s) { return int64_t(s.num) * s.out_h * s.out_w; }
int64_t in_positions(const ConvShape& s) { return int64_t(s.num) * s.in_h * s.in_w; }

// A block's channel tile: blockIdx.y counts groups x tiles of `tile` channels out of a
// group's `per_group`; *first is the tile's first channel, *count how many it has.
__device__ inline void channel_tile(int per_group, int tile, int* group, int* first, int* count) {
  const int tiles = (per_group + tile - 1) / tile;
  *group = blockIdx.y / tiles;
  const int in_group = (blockIdx.y % tiles) * tile;
  *first = *group * per_group + in_group;
  *count = min(tile, per_group - in_group);
}

// out[n][oc][oy][ox] for one position a thread and T output channels of a group; the
// weights of the tile's channels staged a chunk of input channels at a time.
template <int T>
__global__ void __launch_bounds__(kPositionThreads)
    forward_kernel(ConvShape s, const float* __restrict__ in, const float* __restrict__ w,
                   float* __restrict__ out, const float* __restrict__ bias, bool relu,
                   float slope) {
  chain_wait();
  __shared__ float staged[kStaged];
  const int k = s.kernel_h * s.kernel_w;
  const int in_group = s.in_channels / s.group, out_group = s.out_channels / s.group;
  int g, oc0, oc_count;
  channel_tile(out_group, T, &g, &oc0, &oc_count);
  const int plane = s.out_h * s.out_w;
  const int p = blockIdx.x * kPositionThreads + threadIdx.x;
  const bool active = p < s.num * plane;
  const int n = active ? p / plane : 0;
  const int oy = (p - n * plane) / s.out_w, ox = p - n * plane - oy * s.out_w;
  const int iy0 = oy * s.stride_h - s.pad_h, ix0 = ox * s.stride_w - s.pad_w;
  const float* image = in + (int64_t(n) * s.in_channels + g * in_group) * s.in_h * s.in_w;
  float acc[T];
#pragma unroll
  for (int o = 0; o < T; ++o) acc[o] = 0.f;
  const int chunk = kStaged / (k * T);  // >= 1: direct_conv_fits
  for (int c0 = 0; c0 < in_group; c0 += chunk) {
    const int cn = min(chunk, in_group - c0);
    __syncthreads();  // the last chunk's weights are used up
    // staged[(c k + tap) T + o] = w[oc0 + o][c0 + c][tap]
    for (int i = threadIdx.x; i < cn * k * T; i += kPositionThreads) {
      const int o = i % T, ck = i / T;
      staged[i] = o < oc_count ? w[(int64_t(oc0 + o) * in_group + c0) * k + ck] : 0.f;
    }
    __syncthreads();
    if (!active) continue;
    for (int c = 0; c < cn; ++c) {
      const float* src = image + int64_t(c0 + c) * s.in_h * s.in_w;
      for (int ky = 0; ky < s.kernel_h; ++ky) {
        const int iy = iy0 + ky * s.dilation_h;
        if (iy < 0 || iy >= s.in_h) continue;
        const float* row = src + iy * s.in_w;
        const float* wk = staged + (c * k + ky * s.kernel_w) * T;
        for (int kx = 0; kx < s.kernel_w; ++kx) {
          const int ix = ix0 + kx * s.dilation_w;
          if (ix < 0 || ix >= s.in_w) continue;
          const float v = row[ix];
#pragma unroll
          for (int o = 0; o < T; ++o) acc[o] += v * wk[kx * T + o];
        }
      }
    }
  }
  if (!active) return;
  float* dst = out + (int64_t(n) * s.out_channels + oc0) * plane + oy * s.out_w + ox;
#pragma unroll
  for (int o = 0; o < T; ++o) {
    if (o >= oc_count) break;
    float y = acc[o];
    if (bias) y += bias[oc0 + o];
    if (relu) y = relu_value(y, slope);
    dst[int64_t(o) * plane] = y;
  }
}

// in_grad[n][ic][iy][ix] for one input position a thread and T input channels of a
// group: the sum over the output channels of the group and the taps that reach it.
template <int T>
__global__ void __launch_bounds__(kPositionThreads)
    backward_data_kernel(ConvShape s, const float* __restrict__ w, const float* __restrict__ dy,
                         float* __restrict__ dx) {
  chain_wait();
  __shared__ float staged[kStaged];
  const int k = s.kernel_h * s.kernel_w;
  const int in_group = s.in_channels / s.group, out_group = s.out_channels / s.group;
  int g, ic0, ic_count;
  channel_tile(in_group, T, &g, &ic0, &ic_count);
  const int ic_local = ic0 - g * in_group;
  const int plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  const int p = blockIdx.x * kPositionThreads + threadIdx.x;
  const bool active = p < s.num * plane;
  const int n = active ? p / plane : 0;
  const int iy = (p - n * plane) / s.in_w, ix = p - n * plane - iy * s.in_w;
  const float* grad = dy + (int64_t(n) * s.out_channels + g * out_group) * out_plane;
  float acc[T];
#pragma unroll
  for (int i = 0; i < T; ++i) acc[i] = 0.f;
  const int chunk = kStaged / (k * T);
  for (int c0 = 0; c0 < out_group; c0 += chunk) {
    const int cn = min(chunk, out_group - c0);
    __syncthreads();
    // staged[(c k + tap) T + i] = w[group's c0 + c][ic_local + i][tap]
    for (int j = threadIdx.x; j < cn * k * T; j += kPositionThreads) {
      const int i = j % T, tap = (j / T) % k, c = j / (T * k);
      staged[j] = i < ic_count
                      ? w[((int64_t(g) * out_group + c0 + c) * in_group + ic_local + i) * k + tap]
                      : 0.f;
    }
    __syncthreads();
    if (!active) continue;
    for (int ky = 0; ky < s.kernel_h; ++ky) {
      const int y = iy + s.pad_h - ky * s.dilation_h;  // oy * stride_h
      if (y < 0 || y % s.stride_h) continue;
      const int oy = y / s.stride_h;
      if (oy >= s.out_h) continue;
      for (int kx = 0; kx < s.kernel_w; ++kx) {
        const int x = ix + s.pad_w - kx * s.dilation_w;
        if (x < 0 || x % s.stride_w) continue;
        const int ox = x / s.stride_w;
        if (ox >= s.out_w) continue;
        const float* src = grad + int64_t(c0) * out_plane + oy * s.out_w + ox;
        const float* wk = staged + (ky * s.kernel_w + kx) * T;
        for (int c = 0; c < cn; ++c) {
          const float v = src[int64_t(c) * out_plane];
#pragma unroll
          for (int i = 0; i < T; ++i) acc[i] += v * wk[c * k * T + i];
        }
      }
    }
  }
  if (!active) return;
  float* dst = dx + (int64_t(n) * s.in_channels + ic0) * plane + iy * s.in_w + ix;
#pragma unroll
  for (int i = 0; i < T; ++i) {
    if (i >= ic_count) break;
    dst[int64_t(i) * plane] = acc[i];
  }
}

// w_grad[oc][c][tap] += sum over positions of dy[n][oc][oy][ox] in[n][c][iy][ix]. A
// block: kFilterOut output channels x kFilterWeights (c, tap) pairs of a group, over
// `batches` batches of kFilterBatch positions (its slice; blockIdx.x counts weight
// tiles x slices). Each batch's top diff and input columns are staged in shared memory;
// the kFilterLanes lanes of a weight take every kFilterLanes-th position and are summed
// at the end, then added to w_grad with one atomic each. With b_grad, the blocks of the
// first weight tile also sum the top diff they stage, the bias gradient (no launch of
// its own): thread t stages position t % 32 of channel t / 32, so a warp holds one
// channel's batch and sums it by shuffles at the end, one atomic a channel.
__global__ void __launch_bounds__(kFilterThreads)
    backward_filter_kernel(ConvShape s, int batches, const float* __restrict__ in,
                           const float* __restrict__ dy, float* __restrict__ w_grad,
                           float* __restrict__ b_grad) {
  chain_wait();
  __shared__ float sdy[kFilterBatch][kFilterOut];
  __shared__ float scol[kFilterWeights][kFilterBatch + 1];  // + 1: no bank conflicts
  __shared__ int s_in[kFilterBatch], s_dy[kFilterBatch], s_iy[kFilterBatch], s_ix[kFilterBatch];
  __shared__ int w_off[kFilterWeights], w_ky[kFilterWeights], w_kx[kFilterWeights];
  __shared__ float partial[kFilterLanes][kFilterOut][kFilterWeights];
  const int k = s.kernel_h * s.kernel_w;
  const int in_group = s.in_channels / s.group, out_group = s.out_channels / s.group;
  int g, oc0, oc_count;
  channel_tile(out_group, kFilterOut, &g, &oc0, &oc_count);
  const int per_oc = in_group * k;  // weights of an output channel
  const int weight_tiles = (per_oc + kFilterWeights - 1) / kFilterWeights;
  const int j0 = (blockIdx.x % weight_tiles) * kFilterWeights;
  const int slice = blockIdx.x / weight_tiles;
  const int plane = s.out_h * s.out_w, in_plane = s.in_h * s.in_w;
  const int total = s.num * plane;
  const int t = threadIdx.x;
  if (t < kFilterWeights) {  // the tile's (c, tap) pairs, decoded once
    const int j = min(j0 + t, per_oc - 1);
    const int tap = j % k;
    w_off[t] = (g * in_group + j / k) * in_plane;
    w_ky[t] = (tap / s.kernel_w) * s.dilation_h;
    w_kx[t] = (tap % s.kernel_w) * s.dilation_w;
  }
  const int lane = t / kFilterWeights, jj = t % kFilterWeights;
  const bool bias_block = b_grad && j0 == 0;
  float bias_sum = 0.f;
  float acc[kFilterOut];
#pragma unroll
  for (int o = 0; o < kFilterOut; ++o) acc[o] = 0.f;
  const int first = slice * batches * kFilterBatch;
  const int last = min(total, first + batches * kFilterBatch);
  for (int b = first; b < last; b += kFilterBatch) {
    __syncthreads();         // the last batch is used up (and w_off is written)
    if (t < kFilterBatch) {  // the batch's positions, decoded once
      const int p = b + t;
      if (p < last) {
        const int n = p / plane, r = p - n * plane, oy = r / s.out_w, ox = r - oy * s.out_w;
        s_in[t] = n * s.in_channels * in_plane;
        s_dy[t] = n * s.out_channels * plane + r;
        s_iy[t] = oy * s.stride_h - s.pad_h;
        s_ix[t] = ox * s.stride_w - s.pad_w;
      } else {
        s_dy[t] = -1;
        s_iy[t] = INT_MIN / 2;  // out of every row: its columns are 0
        s_ix[t] = 0;
        s_in[t] = 0;
      }
    }
    __syncthreads();
    {  // the top diff, one (position, channel) a thread
      const int q = t % kFilterBatch, o = t / kFilterBatch;
      const float v = o < oc_count && s_dy[q] >= 0 ? dy[s_dy[q] + int64_t(oc0 + o) * plane] : 0.f;
      sdy[q][o] = v;
      bias_sum += v;
    }
    for (int e = t; e < kFilterWeights * kFilterBatch; e += kFilterThreads) {
      const int q = e % kFilterBatch, j = e / kFilterBatch;
      const int y = s_iy[q] + w_ky[j], x = s_ix[q] + w_kx[j];
      scol[j][q] = y >= 0 && y < s.in_h && x >= 0 && x < s.in_w && j0 + j < per_oc
                       ? in[int64_t(s_in[q]) + w_off[j] + y * s.in_w + x]
                       : 0.f;
    }
    __syncthreads();
    for (int q = lane; q < kFilterBatch; q += kFilterLanes) {
      const float v = scol[jj][q];
#pragma unroll
      for (int o = 0; o < kFilterOut; ++o) acc[o] += v * sdy[q][o];
    }
  }
  if (bias_block) {  // warp t / 32 holds channel t / 32's sums (kFilterBatch == 32)
    for (int step = 16; step > 0; step /= 2)
      bias_sum += __shfl_xor_sync(0xffffffffu, bias_sum, step);
    const int o = t / kFilterBatch;
    if (t % kFilterBatch == 0 && o < oc_count) atomicAdd(b_grad + oc0 + o, bias_sum);
  }
#pragma unroll
  for (int o = 0; o < kFilterOut; ++o) partial[lane][o][jj] = acc[o];
  __syncthreads();
  // Thread t sums the lanes of weight (o, jj) = (t / 32, t % 32).
  const int o = t / kFilterWeights;
  if (o >= oc_count || j0 + jj >= per_oc) return;
  float sum = 0.f;
  for (int l = 0; l < kFilterLanes; ++l) sum += partial[l][o][jj];
  atomicAdd(w_grad + int64_t(oc0 + o) * per_oc + j0 + jj, sum);
}

template <int T>
void launch_forward(const ConvShape& s, const float* in, const float* w, float* out,
                    const float* bias, std::optional<float> relu_slope) {
  const int tiles = (s.out_channels / s.group + T - 1) / T;
  const dim3 grid(static_cast<unsigned>((positions(s) + kPositionThreads - 1) / kPositionThreads),
                  tiles * s.group);
  launch("direct convolution forward", forward_kernel<T>, grid, kPositionThreads,
         Context::get().stream(), s, in, w, out, bias, relu_slope.has_value(),
         relu_slope.value_or(0.f));
}

template <int T>
void launch_backward_data(const ConvShape& s, const float* w, const float* dy, float* dx) {
  const int tiles = (s.in_channels / s.group + T - 1) / T;
  const dim3 grid(
      static_cast<unsigned>((in_positions(s) + kPositionThreads - 1) / kPositionThreads),
      tiles * s.group);
  launch("direct convolution backward data", backward_data_kernel<T>, grid, kPositionThreads,
         Context::get().stream(), s, w, dy, dx);
}

static_assert(kDirectConvTiles[0] == 4 && kDirectConvTiles[1] == 8 && kDirectConvTiles[2] == 16,
              "the launch tables follow kDirectConvTiles");

// The index of `tile` in kDirectConvTiles, whose order the launch tables follow.
int tile_index(int tile) {
  const auto* end = std::end(kDirectConvTiles);
  const auto* at = std::find(std::begin(kDirectConvTiles), end, tile);
  CORTADO_ASSERT(at != end);
  return static_cast<int>(at - std::begin(kDirectConvTiles));
}

}  // namespace

bool direct_conv_fits(const ConvShape& s) {
  const int largest = *std::max_element(std::begin(kDirectConvTiles), std::end(kDirectConvTiles));
  const int64_t in_all = in_positions(s) * s.in_channels;
  const int64_t out_all = positions(s) * s.out_channels;
  // The grids' y counts channel tiles of the smallest tile (4) in every group.
  const int64_t out_tiles = int64_t(s.out_channels / s.group + 3) / 4 * s.group;
  const int64_t in_tiles = int64_t(s.in_channels / s.group + 3) / 4 * s.group;
  return s.num > 0 && positions(s) > 0 && int64_t(taps(s)) * largest <= kStaged &&
         in_all < INT_MAX / 2 && out_all < INT_MAX / 2 && out_tiles <= 65535 &&
         in_tiles <= 65535;
}

bool direct_conv_small(const ConvShape& s) {
  const double macs =
      double(positions(s)) * s.out_channels * (s.in_channels / s.group) * taps(s);
  return macs <= 4294967296.0;
}

long long direct_conv_runs() { return runs; }

void direct_conv_forward(const ConvShape& s, int tile, const float* in, const float* w, float* out,
                         const float* bias, std::optional<float> relu_slope) {
  ++runs;
  constexpr decltype(&launch_forward<4>) launch[] = {&launch_forward<4>, &launch_forward<8>,
                                                     &launch_forward<16>};
  launch[tile_index(tile)](s, in, w, out, bias, relu_slope);
}

void direct_conv_backward_data(const ConvShape& s, int tile, const float* w, const float* out_grad,
                               float* in_grad) {
  ++runs;
  constexpr decltype(&launch_backward_data<4>) launch[] = {
      &launch_backward_data<4>, &launch_backward_data<8>, &launch_backward_data<16>};
  launch[tile_index(tile)](s, w, out_grad, in_grad);
}

void direct_conv_backward_filter(const ConvShape& s, const float* in, const float* out_grad,
                                 float* w_grad, float* b_grad) {
  ++runs;
  const int per_oc = s.in_channels / s.group * taps(s);
  const int weight_tiles = (per_oc + kFilterWeights - 1) / kFilterWeights;
  const int out_tiles = (s.out_channels / s.group + kFilterOut - 1) / kFilterOut;
  const int64_t batches = (positions(s) + kFilterBatch - 1) / kFilterBatch;
  // About 1024 blocks in all (8 a multiprocessor on an H100), each over at least 4
  // batches: enough blocks to fill the card, few enough atomics per weight.
  const int64_t tiles = int64_t(weight_tiles) * out_tiles * s.group;
  const int64_t slices = std::clamp<int64_t>(1024 / tiles, 1, (batches + 3) / 4);
  const int per_slice = static_cast<int>((batches + slices - 1) / slices);
  const int64_t used = (batches + per_slice - 1) / per_slice;
  const dim3 grid(static_cast<unsigned>(weight_tiles * used), out_tiles * s.group);
  launch("direct convolution backward filter", backward_filter_kernel, grid, kFilterThreads,
         Context::get().stream(), s, per_slice, in, out_grad, w_grad, b_grad);
}

}  // namespace cortado::gpu
#endif  // CORTADO_WITH_CUDNN
