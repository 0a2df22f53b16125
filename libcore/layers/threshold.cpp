#include "layers/threshold.hpp"

#include <algorithm>

namespace cortado {

void ThresholdLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float t = param_.threshold_param().threshold();
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) y[i] = x[i] > t ? 1.f : 0.f;
}

void ThresholdLayer::backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  float* dx = bottom[0]->mutable_diff();
  std::fill(dx, dx + bottom[0]->count(), 0.f);
}

}  // namespace cortado
