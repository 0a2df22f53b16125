#include "layers/batch_norm.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace cortado {

void BatchNormLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.batch_norm_param();
  use_global_stats_ = p.has_use_global_stats() ? p.use_global_stats() : phase() == caffe::TEST;
  moving_average_fraction_ = p.moving_average_fraction();
  eps_ = p.eps();
  if (bottom[0]->num_axes() < 1)
    throw Error(where(), "needs a bottom with at least one axis, got a scalar");
  channels_ = bottom[0]->num_axes() == 1 ? 1 : bottom[0]->shape(1);
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{channels_}));
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{channels_}));
    blobs_.push_back(std::make_shared<Blob>(std::vector<int>{1}));
    for (auto& b : blobs_) b->set_data(0.f);
  }
  force_zero_lr();
}

// The statistics are not learned: Caffe pins their learning rates to 0, and so do
// we in our copy of the parameter; the Net must do the same with the specs it uses.
void BatchNormLayer::force_zero_lr() {
  for (int i = 0; i < static_cast<int>(blobs_.size()); ++i) {
    if (i == param_.param_size()) {
      param_.add_param()->set_lr_mult(0.f);
    } else if (param_.param(i).lr_mult() != 0.f) {
      throw Error(where(), "param " + std::to_string(i) +
                               " has lr_mult " + std::to_string(param_.param(i).lr_mult()) +
                               "; batch norm statistics are not learned, lr_mult must be 0");
    }
  }
}

BatchNormLayer::Dims BatchNormLayer::dims(const Blob& b) const {
  const int num = b.num_axes() == 0 ? 1 : b.shape(0);
  const int per_item = num == 0 ? 0 : b.count() / num;
  return {num, channels_, channels_ == 0 ? 0 : per_item / channels_};
}

void BatchNormLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const int channels = x.num_axes() == 1 ? 1 : (x.num_axes() == 0 ? 0 : x.shape(1));
  if (channels != channels_)
    throw Error(where(), "was set up for " + std::to_string(channels_) +
                             " channels, got a bottom of shape " + x.shape_string());
  if (top[0] != bottom[0]) top[0]->reshape_like(x);
  x_norm_.reshape_like(x);
  mean_.assign(channels_, 0.f);
  stddev_.assign(channels_, 0.f);
}

void BatchNormLayer::batch_statistics(const float* x, const Dims& d) {
  const double m = static_cast<double>(d.num) * d.spatial;
  for (int c = 0; c < d.channels; ++c) {
    double sum = 0, sumsq = 0;
    for (int n = 0; n < d.num; ++n) {
      const float* p = x + (static_cast<size_t>(n) * d.channels + c) * d.spatial;
      for (int s = 0; s < d.spatial; ++s) sum += p[s];
    }
    const double mean = m > 0 ? sum / m : 0;
    for (int n = 0; n < d.num; ++n) {
      const float* p = x + (static_cast<size_t>(n) * d.channels + c) * d.spatial;
      for (int s = 0; s < d.spatial; ++s) sumsq += (p[s] - mean) * (p[s] - mean);
    }
    mean_[c] = static_cast<float>(mean);
    stddev_[c] = static_cast<float>(m > 0 ? sumsq / m : 0);  // the variance, for now
  }
}

void BatchNormLayer::update_running_statistics(const Dims& d) {
  // Running sums: s = batch + fraction * s; weight w = 1 + fraction * w.
  // The variance is stored unbiased (m / (m - 1)), as Caffe does.
  const float f = moving_average_fraction_;
  float* weight = blobs_[2]->mutable_data();
  weight[0] = weight[0] * f + 1.f;
  const double m = static_cast<double>(d.num) * d.spatial;
  const float bias_correction = m > 1 ? static_cast<float>(m / (m - 1)) : 1.f;
  float* mean_sum = blobs_[0]->mutable_data();
  float* var_sum = blobs_[1]->mutable_data();
  for (int c = 0; c < d.channels; ++c) {
    mean_sum[c] = mean_[c] + f * mean_sum[c];
    var_sum[c] = bias_correction * stddev_[c] + f * var_sum[c];
  }
}

void BatchNormLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const Dims d = dims(*bottom[0]);
  if (use_global_stats_) {
    const float w = blobs_[2]->data()[0];
    const float inv = w == 0.f ? 0.f : 1.f / w;
    for (int c = 0; c < d.channels; ++c) {
      mean_[c] = inv * blobs_[0]->data()[c];
      stddev_[c] = inv * blobs_[1]->data()[c];
    }
  } else {
    batch_statistics(bottom[0]->data(), d);
    update_running_statistics(d);
  }
  for (int c = 0; c < d.channels; ++c) stddev_[c] = std::sqrt(stddev_[c] + eps_);

  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  for (int n = 0; n < d.num; ++n)
    for (int c = 0; c < d.channels; ++c) {
      const size_t off = (static_cast<size_t>(n) * d.channels + c) * d.spatial;
      const float mean = mean_[c], inv_std = 1.f / stddev_[c];
      for (int s = 0; s < d.spatial; ++s) y[off + s] = (x[off + s] - mean) * inv_std;
    }
  std::copy(y, y + top[0]->count(), x_norm_.mutable_data());
}

void BatchNormLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const Dims d = dims(*bottom[0]);
  const float* dy = top[0]->diff();
  if (top[0] == bottom[0]) {  // dx overwrites dy: work from a copy
    std::copy(dy, dy + top[0]->count(), x_norm_.mutable_diff());
    dy = x_norm_.diff();
  }
  const float* y = x_norm_.data();
  float* dx = bottom[0]->mutable_diff();
  const double m = static_cast<double>(d.num) * d.spatial;
  for (int c = 0; c < d.channels; ++c) {
    // Fixed statistics: y is affine in x. Batch statistics:
    // dx = (dy - mean(dy) - mean(dy * y) * y) / std, means over batch and space.
    double sum_dy = 0, sum_dy_y = 0;
    if (!use_global_stats_)
      for (int n = 0; n < d.num; ++n) {
        const size_t off = (static_cast<size_t>(n) * d.channels + c) * d.spatial;
        for (int s = 0; s < d.spatial; ++s) {
          sum_dy += dy[off + s];
          sum_dy_y += double(dy[off + s]) * y[off + s];
        }
      }
    const float mean_dy = m > 0 ? static_cast<float>(sum_dy / m) : 0.f;
    const float mean_dy_y = m > 0 ? static_cast<float>(sum_dy_y / m) : 0.f;
    const float inv_std = 1.f / stddev_[c];
    for (int n = 0; n < d.num; ++n) {
      const size_t off = (static_cast<size_t>(n) * d.channels + c) * d.spatial;
      for (int s = 0; s < d.spatial; ++s)
        dx[off + s] = (dy[off + s] - mean_dy - mean_dy_y * y[off + s]) * inv_std;
    }
  }
}

}  // namespace cortado
