#include "layers/absval.hpp"

#include <cmath>

namespace cortado {

void AbsValLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input(bottom, top);
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) y[i] = std::fabs(x[i]);
}

void AbsValLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* x = kept_input(bottom, top);
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) dx[i] = dy[i] * static_cast<float>((x[i] > 0) - (x[i] < 0));
}

}  // namespace cortado
