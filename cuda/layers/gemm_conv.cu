#ifdef CORTADO_WITH_CUDNN
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>

#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/layers/gemm_conv.hpp"
#include "cuda/math/gemm.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

// Rows of the column matrix (c, ki, kj) and its columns (output positions).
int64_t col_rows(const ConvShape& s) { return int64_t(s.in_channels) * s.kernel_h * s.kernel_w; }
int64_t col_cols(const ConvShape& s) { return int64_t(s.out_h) * s.out_w; }

// col[n][(c, ki, kj)][(oh, ow)] = in[n][c][oh * stride - pad + ki * dilation][...], 0
// outside the image; with k_major the rows go [(c, ki, kj)][n] instead. A block row per
// (n, c, ki, kj): its threads step along the output positions, so the row's
// decomposition is done once per thread, not per element.
__global__ void im2col_kernel(ConvShape s, int images, bool k_major, const float* in,
                              float* col) {
  chain_wait();
  const int k_per_image = s.in_channels * s.kernel_h * s.kernel_w;
  const int positions = s.out_h * s.out_w;
  const int64_t rows = int64_t(images) * k_per_image;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t n = r / k_per_image;
    const int k = static_cast<int>(r % k_per_image);
    const int kj = k % s.kernel_w, ki = (k / s.kernel_w) % s.kernel_h;
    const int c = k / (s.kernel_w * s.kernel_h);
    const float* plane = in + (n * s.in_channels + c) * int64_t(s.in_h) * s.in_w;
    float* out = col + (k_major ? k * int64_t(images) + n : r) * positions;
    const int row0 = ki * s.dilation_h - s.pad_h, col0 = kj * s.dilation_w - s.pad_w;
    for (int p = threadIdx.x; p < positions; p += blockDim.x) {
      const int oh = p / s.out_w, ow = p - oh * s.out_w;
      const int h = row0 + oh * s.stride_h, w = col0 + ow * s.stride_w;
      out[p] = (h >= 0 && h < s.in_h && w >= 0 && w < s.in_w) ? plane[h * s.in_w + w] : 0.f;
    }
  }
}

// w_grad[i] += the sum over the chunk's images of partial[n][i], in image order.
__global__ void sum_partials_kernel(int64_t per_image, int images, const float* partial,
                                    float* w_grad) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, per_image) {
    float sum = 0.f;
    for (int n = 0; n < images; ++n) sum += partial[n * per_image + i];
    w_grad[i] += sum;
  }
}

// dst[m][n][p] = src[n][m][p]: a chunk's top diff channel-major.
__global__ void channel_major_kernel(int64_t count, int channels, int positions,
                                     int images, const float* src, float* dst) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, count) {
    const int64_t t = i / positions;
    const int p = static_cast<int>(i - t * positions);
    const int m = static_cast<int>(t % channels);
    const int64_t n = t / channels;
    dst[(m * int64_t(images) + n) * positions + p] = src[i];
  }
}

void im2col(const ConvShape& s, int images, bool k_major, const float* in, float* col) {
  const int64_t rows = images * col_rows(s);
  const int threads = static_cast<int>(std::min<int64_t>(kThreads, (col_cols(s) + 31) / 32 * 32));
  launch("im2col", im2col_kernel, static_cast<int>(std::min<int64_t>(rows, 1 << 20)), threads,
         Context::get().stream(), s, images, k_major, in, col);
}

std::atomic<long long> chunks_run{0};

}  // namespace

long long gemm_conv_chunks_run() { return chunks_run; }

size_t gemm_conv_workspace(const ConvShape& s, GemmConv use, int chunk) {
  const int64_t out_channels = s.out_channels;
  int64_t per_image = col_rows(s) * col_cols(s);  // the column matrix
  if (use == GemmConv::filter_per_image) per_image += out_channels * col_rows(s);  // partials
  if (use == GemmConv::filter_one_product) per_image += out_channels * col_cols(s);  // top diff
  return static_cast<size_t>(per_image) * chunk * sizeof(float);
}

int gemm_conv_chunk(const ConvShape& s, GemmConv use, size_t limit) {
  const size_t one = gemm_conv_workspace(s, use, 1);
  if (s.group != 1 || one == 0 || one > limit || s.num <= 0) return 0;
  // As few chunks as fit, of equal size (256 images by 244 would leave a chunk of 12),
  // and few enough images that a chunk's positions count in an int (cuBLAS's sizes).
  const size_t fit = std::min<size_t>(limit / one, INT_MAX / col_cols(s));
  if (fit == 0) return 0;
  const int most = static_cast<int>(std::min<size_t>(fit, s.num));
  const int chunks = (s.num + most - 1) / most;
  return (s.num + chunks - 1) / chunks;
}

std::vector<int> gemm_conv_chunks(const ConvShape& s, GemmConv use, size_t limit, size_t l2_bytes) {
  std::vector<int> chunks;
  for (const size_t bytes : {limit, std::min(limit, l2_bytes / 2)}) {
    const int chunk = gemm_conv_chunk(s, use, bytes);
    if (chunk > 0 && (chunks.empty() || chunk != chunks.back())) chunks.push_back(chunk);
  }
  return chunks;
}

void gemm_conv_forward(const ConvShape& s, int chunk, const float* in, const float* w, float* out,
                       void* ws, const float* bias, std::optional<float> relu_slope) {
  const int M = s.out_channels, K = static_cast<int>(col_rows(s)), P = static_cast<int>(col_cols(s));
  float* col = static_cast<float*>(ws);
  const int64_t in_image = int64_t(s.in_channels) * s.in_h * s.in_w, out_image = int64_t(M) * P;
  for (int n0 = 0; n0 < s.num; n0 += chunk) {
    const int images = std::min(chunk, s.num - n0);
    im2col(s, images, false, in + n0 * in_image, col);
    ++chunks_run;
    // out_n (M x P) = W (M x K) col_n (K x P), W shared by the batch
    gemm_batched(Trans::no, Trans::no, M, P, K, 1.f, w, K, 0, col, P, int64_t(K) * P, 0.f,
                 out + n0 * out_image, P, out_image, images);
    if (bias || relu_slope) add_channel_bias(images, M, P, bias, out + n0 * out_image, relu_slope);
  }
}

void gemm_conv_backward_filter(const ConvShape& s, GemmConv use, int chunk, const float* in,
                               const float* out_grad, float* w_grad, void* ws) {
  const int M = s.out_channels, K = static_cast<int>(col_rows(s)), P = static_cast<int>(col_cols(s));
  float* col = static_cast<float*>(ws);
  float* rest = col + int64_t(chunk) * K * P;  // partials, or the channel-major top diff
  const int64_t in_image = int64_t(s.in_channels) * s.in_h * s.in_w, out_image = int64_t(M) * P;
  const int64_t per_image = int64_t(M) * K;
  cudaStream_t stream = Context::get().stream();
  for (int n0 = 0; n0 < s.num; n0 += chunk) {
    const int images = std::min(chunk, s.num - n0);
    const bool one_product = use == GemmConv::filter_one_product;
    im2col(s, images, one_product, in + n0 * in_image, col);
    ++chunks_run;
    if (one_product) {
      // w_grad (M x K) += out_grad' (M x images P) col' (K x images P)^T
      const int64_t count = images * out_image;
      launch("channel_major", channel_major_kernel, blocks_for(count), kThreads, stream, count, M,
             P, images, out_grad + n0 * out_image, rest);
      const int inner = images * P;
      gpu::gemm(Trans::no, Trans::yes, M, K, inner, 1.f, rest, inner, col, inner, 1.f, w_grad, K);
      continue;
    }
    // partial_n (M x K) = out_grad_n (M x P) col_n^T (P x K)
    gemm_batched(Trans::no, Trans::yes, M, K, P, 1.f, out_grad + n0 * out_image, P, out_image,
                 col, P, int64_t(K) * P, 0.f, rest, K, per_image, images);
    launch("sum_partials", sum_partials_kernel, blocks_for(per_image), kThreads, stream, per_image,
           images, rest, w_grad);
  }
}

}  // namespace cortado::gpu
#endif  // CORTADO_WITH_CUDNN
