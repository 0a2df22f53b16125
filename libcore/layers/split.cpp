#include "layers/split.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void SplitLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  for (Blob* t : top) {
    // Each top needs its own diff, so a top cannot be the bottom itself.
    if (t == bottom[0]) throw Error(where(), "cannot run in place (a top is also the bottom)");
    t->reshape_like(*bottom[0]);
    t->share_data(*bottom[0]);
  }
}

void SplitLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  float* dx = bottom[0]->mutable_diff();
  const float* d0 = top[0]->diff();
  std::copy(d0, d0 + n, dx);
  for (size_t k = 1; k < top.size(); ++k) {
    const float* dk = top[k]->diff();
    for (int i = 0; i < n; ++i) dx[i] += dk[i];
  }
}

}  // namespace cortado
