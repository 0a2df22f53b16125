// BNLL's GPU half (its CPU half is libcore/layers/bnll.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/bnll.hpp"

namespace cortado::gpu {
namespace {

// The CPU's cap: exp() of larger inputs only rounds the gradient to 1.
constexpr float kExpCap = 50.f;

// log(1 + e^x), in the form whose exponent is <= 0.
struct BNLLForward {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const {
    const float v = x[i];
    y[i] = v > 0.f ? v + log1pf(expf(-v)) : log1pf(expf(v));
  }
};

struct BNLLBackward {
  const float* x;
  const float* dy;
  float* dx;
  __device__ void operator()(int64_t i) const {
    // As std::min(x, cap): a NaN x stays NaN.
    const float e = expf(kExpCap < x[i] ? kExpCap : x[i]);
    dx[i] = dy[i] * e / (e + 1.f);
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void BNLLLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input_gpu(bottom, top);
  gpu::for_each_index("bnll_forward", bottom[0]->count(),
                      gpu::BNLLForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data()});
}

void BNLLLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index("bnll_backward", bottom[0]->count(),
                      gpu::BNLLBackward{kept_input_gpu(bottom, top), top[0]->gpu_diff(),
                                        bottom[0]->mutable_gpu_diff()});
}

}  // namespace cortado
