#pragma once
// ReLU on the GPU; the CPU code is libcore/layers/relu.cpp. Pointers are device
// pointers; the work is queued on the context's stream.
namespace cortado::gpu {

// y = max(x, 0) + slope * min(x, 0)
void relu_forward(int n, const float* x, float* y, float negative_slope);
// dx = dy * (x > 0 ? 1 : slope). With slope >= 0 the top data may stand in for x.
void relu_backward(int n, const float* x, const float* dy, float* dx, float negative_slope);

}  // namespace cortado::gpu
