// MVN's GPU half (its CPU half is libcore/layers/mvn.cpp): a block per row for the
// row statistics, summed in double as on the CPU, then one elementwise pass.
#include "cuda/layers/channel_sum.cuh"
#include "cuda/layers/elementwise.cuh"
#include "layers/mvn.hpp"

namespace cortado::gpu {
namespace {

struct Value {
  const float* v;
  __device__ double operator()(int64_t j) const { return v[j]; }
};

struct SquaredDeviation {
  const float* x;
  double mean;
  __device__ double operator()(int64_t j) const {
    const double d = static_cast<float>(x[j] - static_cast<float>(mean));
    return d * d;
  }
};

struct Product {
  const float* a;
  const float* b;
  __device__ double operator()(int64_t j) const { return static_cast<double>(a[j]) * b[j]; }
};

// Per row: mean[r] and scale[r] = sqrt(variance) + eps (1 when centring only).
__global__ void mvn_stats_kernel(const float* x, int rows, int dim, bool normalize, float eps,
                                 float* mean, float* scale) {
  chain_wait();
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const double mu = channel_total(1, rows, dim, r, Value{x}) / dim;
    const double sq =
        normalize ? channel_total(1, rows, dim, r, SquaredDeviation{x, mu}) / dim : 0.0;
    if (threadIdx.x != 0) continue;
    mean[r] = static_cast<float>(mu);
    scale[r] = normalize ? static_cast<float>(sqrt(sq)) + eps : 1.f;
  }
}

// Per row: mean(dy) and mean(y * dy).
__global__ void mvn_gradient_means_kernel(const float* y, const float* dy, int rows, int dim,
                                          float* mean_dy, float* mean_ydy) {
  chain_wait();
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const double sdy = channel_total(1, rows, dim, r, Value{dy});
    const double sydy = channel_total(1, rows, dim, r, Product{y, dy});
    if (threadIdx.x != 0) continue;
    mean_dy[r] = static_cast<float>(sdy / dim);
    mean_ydy[r] = static_cast<float>(sydy / dim);
  }
}

struct MVNApply {
  const float* x;
  const float* mean;
  const float* scale;
  float* y;
  int64_t dim;
  __device__ void operator()(int64_t i) const {
    const int64_t r = i / dim;
    y[i] = (x[i] - mean[r]) / scale[r];
  }
};

struct MVNBackward {
  const float* y;
  const float* dy;
  const float* mean_dy;
  const float* mean_ydy;
  const float* scale;
  float* dx;
  int64_t dim;
  bool normalize;
  __device__ void operator()(int64_t i) const {
    const int64_t r = i / dim;
    const float g = dy[i] - mean_dy[r];
    dx[i] = normalize ? (g - y[i] * mean_ydy[r]) / scale[r] : g;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void MVNLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (rows_ == 0 || dim_ == 0) return;
  const auto& p = param_.mvn_param();
  float* mean = row_stats_.mutable_gpu_data();
  gpu::launch("mvn_stats", gpu::mvn_stats_kernel, gpu::blocks_for_channels(rows_), gpu::kThreads,
              gpu::Context::get().stream(), bottom[0]->gpu_data(), rows_, dim_,
              p.normalize_variance(), p.eps(), mean, scale_.mutable_gpu_data());
  gpu::for_each_index("mvn_apply", bottom[0]->count(),
                      gpu::MVNApply{bottom[0]->gpu_data(), mean, scale_.gpu_data(),
                                    top[0]->mutable_gpu_data(), dim_});
}

void MVNLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0] || rows_ == 0 || dim_ == 0) return;
  float* means = row_stats_.mutable_gpu_data();
  gpu::launch("mvn_gradient_means", gpu::mvn_gradient_means_kernel, gpu::blocks_for_channels(rows_),
              gpu::kThreads, gpu::Context::get().stream(), top[0]->gpu_data(), top[0]->gpu_diff(),
              rows_, dim_, means, means + rows_);
  gpu::for_each_index("mvn_backward", bottom[0]->count(),
                      gpu::MVNBackward{top[0]->gpu_data(), top[0]->gpu_diff(), means, means + rows_,
                                       scale_.gpu_data(), bottom[0]->mutable_gpu_diff(), dim_,
                                       param_.mvn_param().normalize_variance()});
}

}  // namespace cortado
