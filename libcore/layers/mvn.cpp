#include "layers/mvn.hpp"

#include <cmath>

#include "util/error.hpp"

namespace cortado {

void MVNLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  if (x.num_axes() < 2)
    throw Error(where(), "input " + x.shape_string() + " needs an item and a channel axis");
  rows_ = param_.mvn_param().across_channels() ? x.shape(0) : x.shape(0) * x.shape(1);
  dim_ = rows_ == 0 ? 0 : x.count() / rows_;
  if (top[0] != bottom[0]) top[0]->reshape_like(x);
  scale_.reshape({rows_});
  row_stats_.reshape({2, rows_});
}

void MVNLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const auto& p = param_.mvn_param();
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  float* scale = scale_.mutable_data();
  for (int r = 0; r < rows_; ++r) {
    const float* xr = x + static_cast<int64_t>(r) * dim_;
    float* yr = y + static_cast<int64_t>(r) * dim_;
    double sum = 0;
    for (int i = 0; i < dim_; ++i) sum += xr[i];
    const float mean = static_cast<float>(sum / dim_);
    double sq = 0;
    for (int i = 0; i < dim_; ++i) {
      yr[i] = xr[i] - mean;
      sq += static_cast<double>(yr[i]) * yr[i];
    }
    scale[r] = 1.f;
    if (!p.normalize_variance()) continue;
    scale[r] = static_cast<float>(std::sqrt(sq / dim_)) + p.eps();
    for (int i = 0; i < dim_; ++i) yr[i] /= scale[r];
  }
}

// Centring only: dx = dy - mean(dy). With the variance: dx = (dy - mean(dy) -
// y * mean(y * dy)) / scale, the exact gradient when eps is 0 (Caffe's formula).
void MVNLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const bool normalize = param_.mvn_param().normalize_variance();
  const float* y = top[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();  // may be dy itself (in place)
  const float* scale = scale_.data();
  for (int r = 0; r < rows_; ++r) {
    const int64_t o = static_cast<int64_t>(r) * dim_;
    double sum_dy = 0, sum_ydy = 0;
    for (int i = 0; i < dim_; ++i) {
      sum_dy += dy[o + i];
      sum_ydy += static_cast<double>(y[o + i]) * dy[o + i];
    }
    const float mean_dy = static_cast<float>(sum_dy / dim_);
    const float mean_ydy = static_cast<float>(sum_ydy / dim_);
    for (int i = 0; i < dim_; ++i) {
      const float g = dy[o + i] - mean_dy;
      dx[o + i] = normalize ? (g - y[o + i] * mean_ydy) / scale[r] : g;
    }
  }
}

}  // namespace cortado
