// LRN's GPU half (its CPU half is libcore/layers/lrn.cpp). Own kernels that repeat
// the CPU's sums: across channels a thread slides the window down a run of channels
// at one (n, h, w) (adding the plane entering, dropping the one leaving); within a
// channel one thread per element sums its window row by row.
#include <cstdint>

#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "layers/lrn.hpp"

namespace cortado::gpu {
namespace {

struct LrnShape {
  int channels, height, width, size;
  float beta;
};

// scale^-beta; AlexNet's beta 0.75 as r * sqrt(r) with r = scale^-1/2, as the CPU does.
__device__ float neg_pow(float scale, float beta) {
  if (beta == 0.75f) {
    const float r = rsqrtf(scale);
    return r * sqrtf(r);
  }
  return expf(-beta * logf(scale));
}

// Across channels each thread takes one (n, h, w) position and a run of `chunk`
// channels, so that a net with few positions (AlexNet's norm2 at batch 256: 43k)
// still fills the GPU; the window's sum is started afresh at the run's first channel.
// Threads next to each other take positions next to each other (coalesced loads).
constexpr int kLrnChunk = 16;

struct AcrossRun {
  int64_t base;  // the position's element in channel 0
  int first, end;
};
__device__ AcrossRun across_run(int64_t t, int64_t positions, const LrnShape& s, int chunk) {
  const int64_t plane = int64_t(s.height) * s.width;
  const int64_t p = t % positions;
  const int first = static_cast<int>(t / positions) * chunk;
  return {(p / plane) * s.channels * plane + p % plane, first, min(first + chunk, s.channels)};
}

// scale = k + alpha/n * (sum of x^2 over the n channels centred on c); y = x scale^-beta
__global__ void lrn_across_forward_kernel(int64_t threads, int64_t positions, int chunk,
                                          LrnShape s, float k, float alpha_over_n,
                                          const float* x, float* scale, float* y) {
  chain_wait();
  CORTADO_KERNEL_LOOP(t, threads) {
    const AcrossRun run = across_run(t, positions, s, chunk);
    const int64_t plane = int64_t(s.height) * s.width;
    const int half = (s.size - 1) / 2;
    auto square = [&](int c) {
      const float v = x[run.base + c * plane];
      return v * v;
    };
    float a = 0.f;
    for (int c = max(run.first - half, 0); c < min(run.first + half, s.channels); ++c)
      a += square(c);
    for (int c = run.first; c < run.end; ++c) {
      if (c + half < s.channels) a += square(c + half);
      // y in the same pass (x[c] entered the window half a window ago: still cached),
      // unless in place, where y[c] would overwrite an x the window still needs.
      const int64_t i = run.base + c * plane;
      const float sc = k + alpha_over_n * a;
      scale[i] = sc;
      if (x != y) y[i] = x[i] * neg_pow(sc, s.beta);
      if (c - half >= 0) a -= square(c - half);
    }
    if (x == y)
      for (int c = run.first; c < run.end; ++c) {
        const int64_t i = run.base + c * plane;
        y[i] = x[i] * neg_pow(scale[i], s.beta);
      }
  }
}

// dx = dy scale^-beta - coeff * x * W(dy * y / scale), W the same channel window.
__global__ void lrn_across_backward_kernel(int64_t threads, int64_t positions, int chunk,
                                           LrnShape s, float coeff, const float* x,
                                           const float* y, const float* scale, const float* dy,
                                           float* dx) {
  chain_wait();
  CORTADO_KERNEL_LOOP(t, threads) {
    const AcrossRun run = across_run(t, positions, s, chunk);
    const int64_t plane = int64_t(s.height) * s.width;
    const int half = (s.size - 1) / 2;
    auto ratio = [&](int c) {
      const int64_t i = run.base + c * plane;
      return dy[i] * y[i] / scale[i];
    };
    float a = 0.f;
    for (int c = max(run.first - half, 0); c < min(run.first + half, s.channels); ++c)
      a += ratio(c);
    for (int c = run.first; c < run.end; ++c) {
      if (c + half < s.channels) a += ratio(c + half);
      const int64_t i = run.base + c * plane;
      dx[i] = dy[i] * neg_pow(scale[i], s.beta) - coeff * x[i] * a;
      if (c - half >= 0) a -= ratio(c - half);
    }
  }
}

// Channels per thread: runs of kLrnChunk, or all of them where a run would read
// values another thread overwrites (in place).
int across_chunk(const LrnShape& s, bool in_place) { return in_place ? s.channels : kLrnChunk; }

void launch_across_forward(int64_t positions, const LrnShape& s, float k, float alpha_over_n,
                           const float* x, float* scale, float* y) {
  const int chunk = across_chunk(s, x == y);
  const int64_t threads = positions * ((s.channels + chunk - 1) / chunk);
  launch("lrn_across_forward", lrn_across_forward_kernel, blocks_for(threads), kThreads,
         Context::get().stream(), threads, positions, chunk, s, k, alpha_over_n, x, scale, y);
}

void launch_across_backward(int64_t positions, const LrnShape& s, float coeff, const float* x,
                            const float* y, const float* scale, const float* dy, float* dx) {
  const int chunk = across_chunk(s, dy == dx);
  const int64_t threads = positions * ((s.channels + chunk - 1) / chunk);
  launch("lrn_across_backward", lrn_across_backward_kernel, blocks_for(threads), kThreads,
         Context::get().stream(), threads, positions, chunk, s, coeff, x, y, scale, dy, dx);
}

// The sum of f over the size x size window centred on element i of its plane
// (clipped to the plane), each row summed first, as the CPU's box_sum.
template <class F>
__device__ float box_sum(int64_t i, const LrnShape& s, F f) {
  const int64_t plane = int64_t(s.height) * s.width;
  const int64_t off = (i / plane) * plane;
  const int w = i % s.width, h = (i / s.width) % s.height, half = (s.size - 1) / 2;
  float total = 0.f;
  for (int r = max(0, h - half); r <= min(s.height - 1, h + half); ++r) {
    float row = 0.f;
    for (int c = max(0, w - half); c <= min(s.width - 1, w + half); ++c)
      row += f(off + r * s.width + c);
    total += row;
  }
  return total;
}

// scale = 1 + alpha/n^2 * (window sum of x^2); y = x scale^-beta
__global__ void lrn_within_forward_kernel(int64_t count, LrnShape s, float alpha_over_n2,
                                          const float* x, float* scale, float* y) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, count) {
    const float sum = box_sum(i, s, [&](int64_t j) { return x[j] * x[j]; });
    const float sc = 1.f + alpha_over_n2 * sum;
    scale[i] = sc;
    y[i] = x[i] * neg_pow(sc, s.beta);
  }
}

__global__ void lrn_ratio_kernel(int64_t count, const float* y, const float* scale, const float* dy,
                                 float* ratio) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, count) { ratio[i] = dy[i] * y[i] / scale[i]; }
}

__global__ void lrn_within_backward_kernel(int64_t count, LrnShape s, float coeff, const float* x,
                                           const float* scale, const float* ratio, const float* dy,
                                           float* dx) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, count) {
    const float sum = box_sum(i, s, [&](int64_t j) { return ratio[j]; });
    dx[i] = dy[i] * neg_pow(scale[i], s.beta) - coeff * x[i] * sum;
  }
}

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void LRNLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int64_t count = bottom[0]->count();
  if (count == 0) return;
  const gpu::LrnShape s{channels_, height_, width_, size_, beta_};
  cudaStream_t stream = gpu::Context::get().stream();
  if (across()) {
    const int64_t positions = int64_t(bottom[0]->shape(0)) * height_ * width_;
    gpu::launch_across_forward(positions, s, k_, alpha_ / size_, bottom[0]->gpu_data(),
                               scale_.mutable_gpu_data(), top[0]->mutable_gpu_data());
  } else {
    gpu::launch("lrn_within_forward", gpu::lrn_within_forward_kernel, gpu::blocks_for(count),
                gpu::kThreads, stream, count, s, alpha_ / (size_ * size_), bottom[0]->gpu_data(),
                scale_.mutable_gpu_data(), top[0]->mutable_gpu_data());
  }
}

void LRNLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int64_t count = bottom[0]->count();
  if (count == 0) return;
  const gpu::LrnShape s{channels_, height_, width_, size_, beta_};
  const bool acr = across();
  const float coeff = 2.f * alpha_ * beta_ / (acr ? size_ : size_ * size_);
  cudaStream_t stream = gpu::Context::get().stream();
  if (acr) {
    const int64_t positions = int64_t(bottom[0]->shape(0)) * height_ * width_;
    gpu::launch_across_backward(positions, s, coeff, bottom[0]->gpu_data(), top[0]->gpu_data(),
                                scale_.gpu_data(), top[0]->gpu_diff(),
                                bottom[0]->mutable_gpu_diff());
  } else {
    ratio_gpu_.reshape_like(*bottom[0]);
    gpu::launch("lrn_ratio", gpu::lrn_ratio_kernel, gpu::blocks_for(count), gpu::kThreads, stream,
                count, top[0]->gpu_data(), scale_.gpu_data(), top[0]->gpu_diff(),
                ratio_gpu_.mutable_gpu_data());
    gpu::launch("lrn_within_backward", gpu::lrn_within_backward_kernel, gpu::blocks_for(count),
                gpu::kThreads, stream, count, s, coeff, bottom[0]->gpu_data(), scale_.gpu_data(),
                ratio_gpu_.gpu_data(), top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff());
  }
}

}  // namespace cortado
