#pragma once
// ReLU's arithmetic on the device, shared by the ReLU layer's kernels and the bias
// passes that a ReLU is fused into (cuda/layers/channel_bias.cu).

namespace cortado::gpu {

// max(v, 0) + slope * min(v, 0), written as the CPU's std::max/std::min so that a NaN
// input stays NaN (fmaxf would turn it into 0 and hide it from the solver's check).
__device__ inline float relu_value(float v, float slope) {
  return (v < 0.f ? 0.f : v) + slope * (0.f < v ? 0.f : v);
}

// The derivative at input x; with slope >= 0 the output may stand in for x.
__device__ inline float relu_slope_at(float x, float slope) { return x > 0.f ? 1.f : slope; }

}  // namespace cortado::gpu
