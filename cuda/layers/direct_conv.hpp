#pragma once
// Direct convolution: each thread computes its outputs from the input and the weights,
// with no column matrix and no workspace. The third way CudnnConv times against cuDNN's
// algorithm and im2col + GEMM at each shape. Where a convolution is small (LeNet's: 5x5
// kernels, 20 or 50 channels, 64 images of 24x24 or 8x8) cuDNN's and cuBLAS's kernels
// are tuned for large tiles and run mostly idle; these have one output position per
// thread, `tile` channels of it in registers, and the block's weights staged in shared
// memory. Any pad, stride, dilation and group. Device pointers, the context's stream.
#include <optional>

namespace cortado::gpu {

struct ConvShape;

// The channels a thread computes (forward: output channels; backward data: input
// channels): the tiles CudnnConv times.
inline constexpr int kDirectConvTiles[] = {4, 8, 16};

// Whether the direct kernels take `s`: a kernel's taps for the largest tile fit the
// staged weights, and every index counts in an int.
bool direct_conv_fits(const ConvShape& s);
// Whether `s` is small enough to be worth timing these kernels on: at most 2^32
// multiply-adds a direction (LeNet's conv2 at batch 64: 2^27; AlexNet's conv2 at
// batch 256: about 2^36, where a run would take tens of milliseconds and lose to cuDNN).
bool direct_conv_small(const ConvShape& s);
// Kernels run by this path so far in the process: tests see that it ran.
long long direct_conv_runs();

// out = conv(in, w), then + bias[c] (nullptr: none) and with relu_slope ReLU, as
// add_channel_bias does it (cuda/layers/channel_bias.hpp), in the same pass.
void direct_conv_forward(const ConvShape& s, int tile, const float* in, const float* w, float* out,
                         const float* bias = nullptr,
                         std::optional<float> relu_slope = std::nullopt);
// in_grad = the transpose of conv applied to out_grad.
void direct_conv_backward_data(const ConvShape& s, int tile, const float* w, const float* out_grad,
                               float* in_grad);
// w_grad += the weight gradient from in and out_grad; with b_grad, also b_grad[c] +=
// the sum of out_grad's channel c (the bias gradient) in the same kernel. Blocks sum
// slices of the positions and add them with atomics: the order of the additions, hence
// the last bits, may change from run to run (never taken with --deterministic).
void direct_conv_backward_filter(const ConvShape& s, const float* in, const float* out_grad,
                                 float* w_grad, float* b_grad = nullptr);

}  // namespace cortado::gpu
