// AbsVal's GPU half (its CPU half is libcore/layers/absval.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/absval.hpp"

namespace cortado::gpu {
namespace {

struct AbsValForward {
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = fabsf(x[i]); }
};

// sign(x), 0 at 0 (and for NaN), as the CPU's (x > 0) - (x < 0).
struct AbsValBackward {
  const float* x;
  const float* dy;
  float* dx;
  __device__ void operator()(int64_t i) const {
    dx[i] = dy[i] * static_cast<float>((x[i] > 0.f) - (x[i] < 0.f));
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void AbsValLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input_gpu(bottom, top);  // backward needs x's sign, which |x| loses
  gpu::for_each_index("absval_forward", bottom[0]->count(),
                      gpu::AbsValForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data()});
}

void AbsValLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index("absval_backward", bottom[0]->count(),
                      gpu::AbsValBackward{kept_input_gpu(bottom, top), top[0]->gpu_diff(),
                                          bottom[0]->mutable_gpu_diff()});
}

}  // namespace cortado
