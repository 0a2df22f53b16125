#include "layers/dropout.hpp"

#include <cstdint>

#include "util/error.hpp"
#include "util/rng.hpp"

namespace cortado {

void DropoutLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.dropout_param();
  ratio_ = p.dropout_ratio();
  if (!(ratio_ >= 0.f && ratio_ < 1.f))
    throw Error(where(), "dropout_ratio must be in [0, 1), got " + std::to_string(ratio_));
  scale_ = 1.f / (1.f - ratio_);
  scale_train_ = p.scale_train();
  // One 32-bit draw per element, compared with a threshold (Caffe's GPU rule):
  // kept with probability 1 - ratio.
  drop_below_ = static_cast<uint32_t>(static_cast<double>(UINT32_MAX) * ratio_);
}

void DropoutLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  if (phase() != caffe::TRAIN) {
    const float f = test_factor();
    for (int i = 0; i < n; ++i) y[i] = x[i] * f;
    return;
  }
  mask_.resize(n);
  std::mt19937& rng = global_rng();
  const float f = train_factor();
  for (int i = 0; i < n; ++i) {
    // ratio 0 keeps everything (a draw of 0 would otherwise be dropped).
    mask_[i] = ratio_ == 0.f || rng() > drop_below_;
    y[i] = mask_[i] ? x[i] * f : 0.f;
  }
}

void DropoutLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  if (phase() != caffe::TRAIN) {
    const float f = test_factor();
    for (int i = 0; i < n; ++i) dx[i] = dy[i] * f;
    return;
  }
  CORTADO_ASSERT(static_cast<int>(mask_.size()) == n);
  const float f = train_factor();
  for (int i = 0; i < n; ++i) dx[i] = mask_[i] ? dy[i] * f : 0.f;
}

}  // namespace cortado
