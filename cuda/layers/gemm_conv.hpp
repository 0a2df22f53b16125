#pragma once
// A convolution as im2col and one strided batched cuBLAS GEMM per chunk of images:
// the alternative CudnnConv times against cuDNN's fastest algorithm at each shape and
// takes where it is faster. cuDNN is slow where the input has few channels and the
// kernel is large (AlexNet's conv1: 3 channels, 11x11, stride 4), a plain GEMM is not.
// Forward and the weight gradient, one group; device pointers, the context's stream.
#include <cstddef>
#include <optional>
#include <vector>

namespace cortado::gpu {

struct ConvShape;

// The uses of this path: forward, and the weight gradient either per image (a batched
// GEMM, then the images' gradients summed in image order) or as one product over a
// chunk's images (the column matrix and the top diff first laid out channel-major, so
// that the images are the product's inner dimension: better where images are small).
enum class GemmConv { forward, filter_per_image, filter_one_product };

// Chunks computed by this path so far in the process (forward and weight gradient):
// tests see that it ran.
long long gemm_conv_chunks_run();

// Images per chunk that keep the workspace within `limit` bytes (0: not even one),
// and the workspace that needs.
int gemm_conv_chunk(const ConvShape& s, GemmConv use, size_t limit);
size_t gemm_conv_workspace(const ConvShape& s, GemmConv use, int chunk);

// The chunk sizes worth timing, largest first: the most images `limit` allows, then,
// where that is another size, as many as keep the workspace within half of an L2
// cache of `l2_bytes`, whose columns are then written and read back in the cache
// rather than in device memory (AlexNet's conv1 has 562 MB of columns in a chunk of
// 128 images) at the price of more, smaller launches. Empty: not even one image fits.
std::vector<int> gemm_conv_chunks(const ConvShape& s, GemmConv use, size_t limit, size_t l2_bytes);

// out = conv(in, w), `chunk` images at a time, ws of gemm_conv_workspace bytes; then
// add_channel_bias (bias nullptr: none; relu_slope: the fused ReLU) on each chunk's
// output as soon as its product is done, while it may still be in the L2 cache.
void gemm_conv_forward(const ConvShape& s, int chunk, const float* in, const float* w, float* out,
                       void* ws, const float* bias = nullptr,
                       std::optional<float> relu_slope = std::nullopt);
// w_grad += the weight gradient from in and out_grad, by `use` (a weight-gradient one);
// the same on every run.
void gemm_conv_backward_filter(const ConvShape& s, GemmConv use, int chunk, const float* in,
                               const float* out_grad, float* w_grad, void* ws);

}  // namespace cortado::gpu
