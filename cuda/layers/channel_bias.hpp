#pragma once
// Per-channel biases on the device, shared by InnerProduct, Convolution and
// Deconvolution. The data is viewed as num x channels x spatial (InnerProduct:
// spatial 1, a channel is an output). Device pointers, the context's stream.
namespace cortado::gpu {

// y[n][c][s] += bias[c]
void add_channel_bias(int num, int channels, int spatial, const float* bias, float* y);
// dbias[c] += the sum of dy[n][c][s] over n and s (accumulates, as Caffe's gradients do).
void accumulate_channel_bias_grad(int num, int channels, int spatial, const float* dy,
                                  float* dbias);

}  // namespace cortado::gpu
