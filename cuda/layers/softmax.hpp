#pragma once
// Softmax on the device over the middle axis of an outer x channels x inner view
// (libcore/layers/softmax.cpp); one thread per (outer, inner) position, or one warp per
// row for contiguous rows of 32 channels or more (classifier scores). y may be x.
namespace cortado::gpu {

// Whether softmax_forward takes a thread a position (softmax.cuh's softmax_position),
// rather than a warp a row.
bool softmax_by_position(int inner, int channels);
// y = exp(x - max) / sum(exp(x - max)) over the channels
void softmax_forward(int outer, int channels, int inner, const float* x, float* y);
// dx = (dy - sum_c(dy * y)) * y
void softmax_backward(int outer, int channels, int inner, const float* y, const float* dy,
                      float* dx);

}  // namespace cortado::gpu
