#include "layers/bias.hpp"

#include <algorithm>

#include "layers/broadcast.hpp"
#include "layers/filler.hpp"
#include "util/error.hpp"

namespace cortado {

void BiasLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  if (bottom.size() > 1) return;  // b is the second bottom
  if (!blobs_.empty()) {          // given (copied from a model)
    if (blobs_.size() != 1)
      throw Error(where(), "expects 1 parameter blob, got " + std::to_string(blobs_.size()));
    return;
  }
  const auto& p = param_.bias_param();
  auto b = std::make_shared<Blob>(
      broadcast_param_shape(*bottom[0], p.axis(), p.num_axes(), where()));
  // An absent filler is Caffe's default FillerParameter: constant 0.
  if (p.has_filler())
    fill_blob(p.filler(), *b);
  else
    b->set_data(0.f);
  blobs_.push_back(b);
}

void BiasLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const BroadcastDims d =
      broadcast_dims(*bottom[0], bias(bottom), param_.bias_param().axis(), where());
  outer_ = d.outer;
  dim_ = d.dim;
  inner_ = d.inner;
  if (top[0] != bottom[0]) top[0]->reshape_like(*bottom[0]);
}

void BiasLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  const float* b = bias(bottom).data();
  float* y = top[0]->mutable_data();
  for (int o = 0; o < outer_; ++o)
    for (int d = 0; d < dim_; ++d) {
      const size_t off = (static_cast<size_t>(o) * dim_ + d) * inner_;
      const float bd = b[d];
      for (int i = 0; i < inner_; ++i) y[off + i] = x[off + i] + bd;
    }
}

void BiasLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  const float* dy = top[0]->diff();
  if (propagate_down[0] && top[0] != bottom[0])
    std::copy(dy, dy + top[0]->count(), bottom[0]->mutable_diff());
  const bool bias_is_bottom = bottom.size() > 1;
  if (!(bias_is_bottom ? propagate_down[1] : param_propagate_down(0))) return;
  // A parameter's diff accumulates (iter_size sums passes); a bottom's is overwritten.
  float* db = bias_is_bottom ? bottom[1]->mutable_diff() : blobs_[0]->mutable_diff();
  if (bias_is_bottom) std::fill(db, db + dim_, 0.f);
  for (int o = 0; o < outer_; ++o)
    for (int d = 0; d < dim_; ++d) {
      const float* p = dy + (static_cast<size_t>(o) * dim_ + d) * inner_;
      double sum = 0;
      for (int i = 0; i < inner_; ++i) sum += p[i];
      db[d] += static_cast<float>(sum);
    }
}

}  // namespace cortado
