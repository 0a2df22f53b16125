// Power's GPU half (its CPU half is libcore/layers/power.cpp).
#include <cmath>

#include "cuda/layers/elementwise.cuh"
#include "layers/power.hpp"

namespace cortado::gpu {
namespace {

struct Fill {
  float* y;
  float value;
  __device__ void operator()(int64_t i) const { y[i] = value; }
};

// y = (shift + scale * x)^power, with the CPU's special cases for power 1 and 2.
struct PowerForward {
  const float* x;
  float* y;
  float power, scale, shift;
  __device__ void operator()(int64_t i) const {
    const float b = shift + scale * x[i];
    y[i] = power == 1.f ? b : power == 2.f ? b * b : powf(b, power);
  }
};

// dy/dx = power * scale * (shift + scale * x)^(power - 1), from x (not y / base,
// which is 0/0 where the base is 0). power 1 never reads x.
struct PowerBackward {
  const float* x;
  const float* dy;
  float* dx;
  float power, scale, shift, diff_scale;
  __device__ void operator()(int64_t i) const {
    if (power == 1.f) {
      dx[i] = dy[i] * diff_scale;
    } else if (power == 2.f) {
      dx[i] = dy[i] * diff_scale * (shift + scale * x[i]);
    } else {
      dx[i] = dy[i] * diff_scale * powf(shift + scale * x[i], power - 1.f);
    }
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void PowerLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  if (diff_scale_ == 0.f) {  // power 0 or scale 0: the output ignores the input
    const float value = power_ == 0.f ? 1.f : std::pow(shift_, power_);
    gpu::for_each_index("power_fill", n, gpu::Fill{top[0]->mutable_gpu_data(), value});
    return;
  }
  if (power_ != 1.f) keep_input_gpu(bottom, top);  // backward needs x unless dy/dx is constant
  gpu::for_each_index(
      "power_forward", n,
      gpu::PowerForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(), power_, scale_, shift_});
}

void PowerLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  float* dx = bottom[0]->mutable_gpu_diff();
  if (diff_scale_ == 0.f) {
    gpu::for_each_index("power_zero_diff", n, gpu::Fill{dx, 0.f});
    return;
  }
  const float* x = power_ == 1.f ? nullptr : kept_input_gpu(bottom, top);
  gpu::for_each_index(
      "power_backward", n,
      gpu::PowerBackward{x, top[0]->gpu_diff(), dx, power_, scale_, shift_, diff_scale_});
}

}  // namespace cortado
