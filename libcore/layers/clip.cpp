#include "layers/clip.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

// min and max are required fields of ClipParameter; without clip_param both would
// silently be 0 and every output 0.
void ClipLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.clip_param();
  if (!param_.has_clip_param() || !p.has_min() || !p.has_max())
    throw Error(where(), "needs clip_param { min: ... max: ... }");
  if (p.min() > p.max())
    throw Error(where(), "clip_param min " + std::to_string(p.min()) + " is above max " +
                             std::to_string(p.max()));
}

void ClipLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input(bottom, top);  // backward tests x against the ends, which y cannot tell
  const float lo = param_.clip_param().min(), hi = param_.clip_param().max();
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) y[i] = std::max(lo, std::min(x[i], hi));
}

void ClipLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float lo = param_.clip_param().min(), hi = param_.clip_param().max();
  const float* x = kept_input(bottom, top);
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const int n = bottom[0]->count();
  for (int i = 0; i < n; ++i) dx[i] = x[i] >= lo && x[i] <= hi ? dy[i] : 0.f;
}

}  // namespace cortado
