#pragma once
// im2col and col2im on the device, in libcore/math/im2col.hpp's layout: the GEMM
// convolution's lowering (gemm_conv.cu) and the Im2col layer (im2col.cu). Kernels and
// launchers are static: each .cu that includes this compiles its own copy (the build
// has no relocatable device code to share one between them).
#include <algorithm>
#include <cstdint>

#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"
#include "math/im2col.hpp"

namespace cortado::gpu {

// col[n][(c, ki, kj)][(oh, ow)] = in[n][c][oh * stride - pad + ki * dilation][...], 0
// outside the image; with k_major the rows go [(c, ki, kj)][n] instead. A block row per
// (n, c, ki, kj): its threads step along the output positions, so the row's
// decomposition is done once per thread, not per element.
static __global__ void im2col_kernel(ConvGeometry g, int images, bool k_major, const float* in,
                                     float* col) {
  chain_wait();
  const int k_per_image = g.channels * g.kernel_h * g.kernel_w;
  const int positions = g.col_h * g.col_w;
  const int64_t rows = int64_t(images) * k_per_image;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t n = r / k_per_image;
    const int k = static_cast<int>(r % k_per_image);
    const int kj = k % g.kernel_w, ki = (k / g.kernel_w) % g.kernel_h;
    const int c = k / (g.kernel_w * g.kernel_h);
    const float* plane = in + (n * g.channels + c) * int64_t(g.height) * g.width;
    float* out = col + (k_major ? k * int64_t(images) + n : r) * positions;
    const int row0 = ki * g.dilation_h - g.pad_h, col0 = kj * g.dilation_w - g.pad_w;
    for (int p = threadIdx.x; p < positions; p += blockDim.x) {
      const int oh = p / g.col_w, ow = p - oh * g.col_w;
      const int h = row0 + oh * g.stride_h, w = col0 + ow * g.stride_w;
      out[p] = (h >= 0 && h < g.height && w >= 0 && w < g.width) ? plane[h * g.width + w] : 0.f;
    }
  }
}

// image[n][c][h][w] = the sum of the column entries read from that pixel, taps in
// (ki, kj) order as the CPU's col2im adds them. A gather, one pixel a thread: no two
// threads write the same place, so no atomics and the same sums on every run.
static __global__ void col2im_kernel(ConvGeometry g, int64_t pixels, const float* col,
                                     float* image) {
  chain_wait();
  const int plane = g.height * g.width, positions = g.col_h * g.col_w;
  CORTADO_KERNEL_LOOP(i, pixels) {
    const int64_t nc = i / plane;  // n * channels + c
    const int hw = static_cast<int>(i - nc * plane), h = hw / g.width, w = hw - h * g.width;
    // Image n's row (c, ki, kj) is row nc * kernel_h * kernel_w + ki * kernel_w + kj.
    const float* rows = col + nc * g.kernel_h * g.kernel_w * positions;
    float sum = 0.f;
    for (int ki = 0; ki < g.kernel_h; ++ki) {
      const int y = h + g.pad_h - ki * g.dilation_h;  // oh * stride_h, if any oh reads h
      if (y < 0 || y % g.stride_h != 0 || y / g.stride_h >= g.col_h) continue;
      for (int kj = 0; kj < g.kernel_w; ++kj) {
        const int x = w + g.pad_w - kj * g.dilation_w;
        if (x < 0 || x % g.stride_w != 0 || x / g.stride_w >= g.col_w) continue;
        sum += rows[(ki * g.kernel_w + kj) * int64_t(positions) + (y / g.stride_h) * g.col_w +
                    x / g.stride_w];
      }
    }
    image[i] = sum;
  }
}

// `images` consecutive images of g.image_count() values to their column matrices.
static void im2col(const ConvGeometry& g, int images, bool k_major, const float* in, float* col) {
  const int64_t rows = int64_t(images) * g.col_rows(), positions = g.col_spatial();
  if (rows <= 0 || positions <= 0) return;
  const int threads = static_cast<int>(std::min<int64_t>(kThreads, (positions + 31) / 32 * 32));
  launch("im2col", im2col_kernel, static_cast<int>(std::min<int64_t>(rows, 1 << 20)), threads,
         Context::get().stream(), g, images, k_major, in, col);
}

// The adjoint (columns not k-major): overwrites the `images` images.
static void col2im(const ConvGeometry& g, int images, const float* col, float* image) {
  const int64_t pixels = int64_t(images) * g.image_count();
  if (pixels <= 0) return;
  launch("col2im", col2im_kernel, blocks_for(pixels), kThreads, Context::get().stream(), g, pixels,
         col, image);
}

}  // namespace cortado::gpu
