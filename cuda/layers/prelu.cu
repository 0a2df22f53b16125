// PReLU's GPU half (its CPU half is libcore/layers/prelu.cpp).
#include "cuda/layers/channel_sum.cuh"
#include "cuda/layers/elementwise.cuh"
#include "layers/prelu.hpp"

namespace cortado::gpu {
namespace {

// Element i's slope: a[0] when shared, else a[(i / dim) % channels] (axis 1 of N x C x ...).
struct SlopeIndex {
  int dim, channels;
  bool shared;
  __device__ int operator()(int64_t i) const {
    return shared ? 0 : static_cast<int>((i / dim) % channels);
  }
};

// Written as the CPU's std::max/std::min so that a NaN input stays NaN.
struct PReLUForward {
  const float* x;
  const float* a;
  float* y;
  SlopeIndex c;
  __device__ void operator()(int64_t i) const {
    const float v = x[i];
    y[i] = (v < 0.f ? 0.f : v) + a[c(i)] * (0.f < v ? 0.f : v);
  }
};

struct PReLUBackward {
  const float* x;
  const float* a;
  const float* dy;
  float* dx;
  SlopeIndex c;
  __device__ void operator()(int64_t i) const { dx[i] = dy[i] * (x[i] > 0.f ? 1.f : a[c(i)]); }
};

// The slope gradient's terms: dy * x where x <= 0.
struct SlopeGradTerm {
  const float* x;
  const float* dy;
  __device__ double operator()(int64_t j) const {
    return x[j] <= 0.f ? static_cast<double>(dy[j] * x[j]) : 0.0;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void PReLULayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input_gpu(bottom, top);
  const Blob& x = *bottom[0];
  const gpu::SlopeIndex c{x.count(2), x.shape(1), channel_shared_};
  gpu::for_each_index(
      "prelu_forward", x.count(),
      gpu::PReLUForward{x.gpu_data(), blobs_[0]->gpu_data(), top[0]->mutable_gpu_data(), c});
}

void PReLULayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  const float* x = kept_input_gpu(bottom, top);
  const float* dy = top[0]->gpu_diff();
  const int n = bottom[0]->count(), dim = bottom[0]->count(2), channels = bottom[0]->shape(1);
  // Slope gradient first: in place, dx overwrites dy (the kernels run in stream
  // order). It accumulates, as every parameter diff does.
  if (param_propagate_down(0)) {
    // Shared: one channel over everything; else [N][C][dim].
    gpu::channel_sum("prelu_slope_grad", channel_shared_ ? 1 : bottom[0]->shape(0),
                     channel_shared_ ? 1 : channels, channel_shared_ ? n : dim,
                     gpu::SlopeGradTerm{x, dy}, blobs_[0]->mutable_gpu_diff(), true);
  }
  if (propagate_down[0]) {
    const gpu::SlopeIndex c{dim, channels, channel_shared_};
    gpu::for_each_index(
        "prelu_backward", n,
        gpu::PReLUBackward{x, blobs_[0]->gpu_data(), dy, bottom[0]->mutable_gpu_diff(), c});
  }
}

}  // namespace cortado
