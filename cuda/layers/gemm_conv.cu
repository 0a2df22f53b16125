#ifdef CORTADO_WITH_CUDNN
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>

#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/layers/gemm_conv.hpp"
#include "cuda/layers/im2col.cuh"
#include "cuda/math/gemm.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

// Rows of the column matrix (c, ki, kj) and its columns (output positions).
int64_t col_rows(const ConvShape& s) { return int64_t(s.in_channels) * s.kernel_h * s.kernel_w; }
int64_t col_cols(const ConvShape& s) { return int64_t(s.out_h) * s.out_w; }

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

// The image im2col unrolls: the convolution's input, its output positions.
ConvGeometry geometry(const ConvShape& s) {
  return ConvGeometry{s.in_channels, s.in_h, s.in_w, s.kernel_h, s.kernel_w, s.pad_h, s.pad_w,
                      s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.out_h, s.out_w};
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
    im2col(geometry(s), images, false, in + n0 * in_image, col);
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
    im2col(geometry(s), images, one_product, in + n0 * in_image, col);
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
