#pragma once
// Per-channel biases on the device, shared by InnerProduct, Convolution and
// Deconvolution, and the ReLU fused into them (Layer::fuse_relu_gpu). The data is
// viewed as num x channels x spatial (InnerProduct: spatial 1, a channel is an
// output). Device pointers, the context's stream.
#include <optional>

namespace cortado::gpu {

// y[n][c][s] += bias[c] (no bias: nullptr), then with relu_slope, y = ReLU(y): one pass.
void add_channel_bias(int num, int channels, int spatial, const float* bias, float* y,
                      std::optional<float> relu_slope = std::nullopt);
// The top diff's pass before a layer's backward products, in one pass over dy: with
// relu_slope (a fused ReLU) dy *= ReLU'(y) in place, y being the ReLU's output; then
// dbias[c] += the sum of dy[n][c][s] over n and s (accumulates, as Caffe's gradients
// do; no bias gradient wanted: nullptr).
void bias_grad_pass(int num, int channels, int spatial, const float* y,
                    std::optional<float> relu_slope, float* dy, float* dbias);
// dbias[c] += the sum of dy[n][c][s] over n and s: bias_grad_pass without a ReLU.
void bias_grad(int num, int channels, int spatial, const float* dy, float* dbias);
// The device scratch those passes sum slices in, the calling thread's stream's (tests
// see one a stream: cuda/util/side_work.hpp).
const void* bias_grad_scratch();

}  // namespace cortado::gpu
