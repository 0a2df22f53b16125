// BatchNorm's GPU half (its CPU half is libcore/layers/batch_norm.cpp). The
// bottom is viewed as [num][channels][spatial]; the per-channel statistics are
// reduced on the device, one block per channel, in double as on the CPU, and kept
// in stats_gpu_: row 0 mean, row 1 standard deviation, rows 2 and 3 backward's
// means of dy and of dy * y.
#include "blob/device_memory.hpp"
#include "cuda/layers/channel_sum.cuh"
#include "cuda/layers/elementwise.cuh"
#include "cuda/util/chained.cuh"
#include "layers/batch_norm.hpp"

namespace cortado::gpu {
namespace {

struct XTerm {
  const float* x;
  __device__ double operator()(int64_t j) const { return x[j]; }
};

struct SquaredDeviation {
  const float* x;
  double mean;
  __device__ double operator()(int64_t j) const { return (x[j] - mean) * (x[j] - mean); }
};

struct DyYTerm {
  const float* dy;
  const float* y;
  __device__ double operator()(int64_t j) const { return double(dy[j]) * y[j]; }
};

struct BatchStatistics {
  int num, channels, spatial;
  float fraction, bias_correction, eps;
};

// Per channel: the batch mean and (biased) variance, folded into the running sums
// (variance unbiased by m / (m - 1)), then the standard deviation sqrt(var + eps).
__global__ void batch_statistics_kernel(const float* x, BatchStatistics s, float* mean_sum,
                                        float* var_sum, float* mean, float* stddev) {
  chain_wait();
  const double m = double(s.num) * s.spatial;
  for (int c = blockIdx.x; c < s.channels; c += gridDim.x) {
    const double sum = channel_total(s.num, s.channels, s.spatial, c, XTerm{x});
    const double mu = m > 0 ? sum / m : 0;
    const double sumsq = channel_total(s.num, s.channels, s.spatial, c, SquaredDeviation{x, mu});
    if (threadIdx.x != 0) continue;
    const float mean_c = static_cast<float>(mu);
    const float var_c = static_cast<float>(m > 0 ? sumsq / m : 0);
    mean_sum[c] = mean_c + s.fraction * mean_sum[c];
    var_sum[c] = s.bias_correction * var_c + s.fraction * var_sum[c];
    mean[c] = mean_c;
    stddev[c] = sqrtf(var_c + s.eps);
  }
}

// Per channel: the means of dy and of dy * y over batch and space.
__global__ void gradient_means_kernel(const float* dy, const float* y, int num, int channels,
                                      int spatial, float* mean_dy, float* mean_dy_y) {
  chain_wait();
  const double m = double(num) * spatial;
  for (int c = blockIdx.x; c < channels; c += gridDim.x) {
    const double sum_dy = channel_total(num, channels, spatial, c, XTerm{dy});
    const double sum_dy_y = channel_total(num, channels, spatial, c, DyYTerm{dy, y});
    if (threadIdx.x != 0) continue;
    mean_dy[c] = m > 0 ? static_cast<float>(sum_dy / m) : 0.f;
    mean_dy_y[c] = m > 0 ? static_cast<float>(sum_dy_y / m) : 0.f;
  }
}

// The running weight: w = 1 + fraction * w.
struct UpdateWeight {
  float* weight;
  float fraction;
  __device__ void operator()(int64_t) const { weight[0] = weight[0] * fraction + 1.f; }
};

// Fixed statistics: the running sums divided by their weight (0 when the weight is 0).
struct GlobalStatistics {
  const float* mean_sum;
  const float* var_sum;
  const float* weight;
  float* mean;
  float* stddev;
  float eps;
  __device__ void operator()(int64_t c) const {
    const float w = weight[0];
    const float inv = w == 0.f ? 0.f : 1.f / w;
    mean[c] = inv * mean_sum[c];
    stddev[c] = sqrtf(inv * var_sum[c] + eps);
  }
};

// y = (x - mean) / stddev, also kept in x_norm for backward.
struct Normalize {
  const float* x;
  const float* mean;
  const float* stddev;
  float* y;
  float* x_norm;
  int channels, spatial;
  __device__ void operator()(int64_t j) const {
    const int64_t c = (j / spatial) % channels;
    const float inv_std = 1.f / stddev[c];
    const float v = (x[j] - mean[c]) * inv_std;
    y[j] = v;
    x_norm[j] = v;
  }
};

// dx = (dy - mean(dy) - mean(dy * y) * y) / stddev; both means 0 with fixed statistics.
struct NormalizeBackward {
  const float* dy;
  const float* y;
  const float* stddev;
  const float* mean_dy;  // null with fixed statistics
  const float* mean_dy_y;
  float* dx;
  int channels, spatial;
  __device__ void operator()(int64_t j) const {
    const int64_t c = (j / spatial) % channels;
    const float mdy = mean_dy ? mean_dy[c] : 0.f, mdyy = mean_dy ? mean_dy_y[c] : 0.f;
    const float inv_std = 1.f / stddev[c];
    dx[j] = (dy[j] - mdy - mdyy * y[j]) * inv_std;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void BatchNormLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const Dims d = dims(*bottom[0]);
  stats_gpu_.reshape({4, channels_});
  float* mean = stats_gpu_.mutable_gpu_data();
  float* stddev = mean + channels_;
  if (use_global_stats_) {
    gpu::for_each_index("batch_norm_global_stats", d.channels,
                        gpu::GlobalStatistics{blobs_[0]->gpu_data(), blobs_[1]->gpu_data(),
                                              blobs_[2]->gpu_data(), mean, stddev, eps_});
  } else {
    const double m = static_cast<double>(d.num) * d.spatial;
    const float f = moving_average_fraction_;
    const gpu::BatchStatistics s{
        d.num, d.channels, d.spatial, f, m > 1 ? static_cast<float>(m / (m - 1)) : 1.f, eps_};
    if (d.channels > 0) {
      gpu::launch("batch_norm_statistics", gpu::batch_statistics_kernel,
                  gpu::blocks_for_channels(d.channels), gpu::kThreads, gpu::Context::get().stream(),
                  bottom[0]->gpu_data(), s, blobs_[0]->mutable_gpu_data(),
                  blobs_[1]->mutable_gpu_data(), mean, stddev);
    }
    gpu::for_each_index("batch_norm_weight", 1,
                        gpu::UpdateWeight{blobs_[2]->mutable_gpu_data(), f});
  }
  gpu::for_each_index(
      "batch_norm_forward", bottom[0]->count(),
      gpu::Normalize{bottom[0]->gpu_data(), mean, stddev, top[0]->mutable_gpu_data(),
                     x_norm_.mutable_gpu_data(), d.channels, d.spatial});
}

void BatchNormLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const Dims d = dims(*bottom[0]);
  const int n = top[0]->count();
  const float* dy = top[0]->gpu_diff();
  if (top[0] == bottom[0] && n > 0) {  // dx overwrites dy: work from a copy
    device::copy_on_device(x_norm_.mutable_gpu_diff(), dy, sizeof(float) * size_t(n));
    dy = x_norm_.gpu_diff();
  }
  const float* y = x_norm_.gpu_data();
  float* stats = stats_gpu_.mutable_gpu_data();
  const float* stddev = stats + channels_;
  float* mean_dy = nullptr;
  float* mean_dy_y = nullptr;
  if (!use_global_stats_ && d.channels > 0) {
    mean_dy = stats + 2 * channels_;
    mean_dy_y = stats + 3 * channels_;
    gpu::launch("batch_norm_gradient_means", gpu::gradient_means_kernel,
                gpu::blocks_for_channels(d.channels), gpu::kThreads, gpu::Context::get().stream(),
                dy, y, d.num, d.channels, d.spatial, mean_dy, mean_dy_y);
  }
  gpu::for_each_index("batch_norm_backward", n,
                      gpu::NormalizeBackward{dy, y, stddev, mean_dy, mean_dy_y,
                                             bottom[0]->mutable_gpu_diff(), d.channels, d.spatial});
}

}  // namespace cortado
