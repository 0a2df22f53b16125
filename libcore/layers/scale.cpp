#include "layers/scale.hpp"

#include <algorithm>

#include "layers/broadcast.hpp"
#include "layers/filler.hpp"
#include "util/error.hpp"

namespace cortado {

namespace {
std::shared_ptr<Blob> filled(const std::vector<int>& shape, bool has_filler,
                             const caffe::FillerParameter& filler, float fallback) {
  auto b = std::make_shared<Blob>(shape);
  if (has_filler)
    fill_blob(filler, *b);
  else
    b->set_data(fallback);
  return b;
}
}  // namespace

void ScaleLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.scale_param();
  const bool scale_is_bottom = bottom.size() > 1;
  const size_t want = (scale_is_bottom ? 0 : 1) + (p.bias_term() ? 1 : 0);
  bias_index_ = p.bias_term() ? (scale_is_bottom ? 0 : 1) : -1;
  if (!blobs_.empty()) {  // given (copied from a model)
    if (blobs_.size() != want)
      throw Error(where(), "expects " + std::to_string(want) + " parameter blobs, got " +
                               std::to_string(blobs_.size()));
    return;
  }
  std::vector<int> shape = scale_is_bottom
                               ? bottom[1]->shape()
                               : broadcast_param_shape(*bottom[0], p.axis(), p.num_axes(), where());
  if (!scale_is_bottom) blobs_.push_back(filled(shape, p.has_filler(), p.filler(), 1.f));
  if (p.bias_term()) blobs_.push_back(filled(shape, p.has_bias_filler(), p.bias_filler(), 0.f));
}

void ScaleLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const BroadcastDims d =
      broadcast_dims(*bottom[0], scale(bottom), param_.scale_param().axis(), where());
  outer_ = d.outer;
  dim_ = d.dim;
  inner_ = d.inner;
  if (top[0] != bottom[0]) top[0]->reshape_like(*bottom[0]);
}

void ScaleLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  if (top[0] == bottom[0]) {
    input_copy_.reshape_like(*bottom[0]);
    std::copy(bottom[0]->data(), bottom[0]->data() + bottom[0]->count(),
              input_copy_.mutable_data());
  }
  const float* x = bottom[0]->data();
  const float* s = scale(bottom).data();
  const float* b = bias_index_ >= 0 ? blobs_[bias_index_]->data() : nullptr;
  float* y = top[0]->mutable_data();
  for (int o = 0; o < outer_; ++o)
    for (int d = 0; d < dim_; ++d) {
      const size_t off = (static_cast<size_t>(o) * dim_ + d) * inner_;
      const float sd = s[d], bd = b ? b[d] : 0.f;
      for (int i = 0; i < inner_; ++i) y[off + i] = x[off + i] * sd + bd;
    }
}

// Parameter diffs accumulate (iter_size sums passes); a bottom's diff is overwritten.
void ScaleLayer::bias_gradient(const BlobVec& top) {
  const float* dy = top[0]->diff();
  float* db = blobs_[bias_index_]->mutable_diff();
  for (int o = 0; o < outer_; ++o)
    for (int d = 0; d < dim_; ++d) {
      const float* p = dy + (static_cast<size_t>(o) * dim_ + d) * inner_;
      double sum = 0;
      for (int i = 0; i < inner_; ++i) sum += p[i];
      db[d] += static_cast<float>(sum);
    }
}

void ScaleLayer::scale_gradient(const BlobVec& top, const BlobVec& bottom, bool into_param) {
  const float* dy = top[0]->diff();
  const float* x = top[0] == bottom[0] ? input_copy_.data() : bottom[0]->data();
  std::vector<double> sum(dim_, 0.0);
  for (int o = 0; o < outer_; ++o)
    for (int d = 0; d < dim_; ++d) {
      const size_t off = (static_cast<size_t>(o) * dim_ + d) * inner_;
      double acc = 0;
      for (int i = 0; i < inner_; ++i) acc += double(dy[off + i]) * x[off + i];
      sum[d] += acc;
    }
  float* ds = into_param ? blobs_[0]->mutable_diff() : bottom[1]->mutable_diff();
  for (int d = 0; d < dim_; ++d)
    ds[d] = static_cast<float>(sum[d]) + (into_param ? ds[d] : 0.f);
}

void ScaleLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  // Both parameter gradients read dy, which dx overwrites in place: they go first.
  if (bias_index_ >= 0 && param_propagate_down(bias_index_)) bias_gradient(top);
  const bool scale_is_bottom = bottom.size() > 1;
  if (scale_is_bottom ? propagate_down[1] : param_propagate_down(0))
    scale_gradient(top, bottom, !scale_is_bottom);
  if (!propagate_down[0]) return;
  const float* dy = top[0]->diff();
  const float* s = scale(bottom).data();
  float* dx = bottom[0]->mutable_diff();
  for (int o = 0; o < outer_; ++o)
    for (int d = 0; d < dim_; ++d) {
      const size_t off = (static_cast<size_t>(o) * dim_ + d) * inner_;
      const float sd = s[d];
      for (int i = 0; i < inner_; ++i) dx[off + i] = dy[off + i] * sd;
    }
}

}  // namespace cortado
