#include "layers/prelu.hpp"

#include <algorithm>

#include "layers/filler.hpp"
#include "util/error.hpp"

namespace cortado {

void PReLULayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  if (bottom[0]->num_axes() < 2)
    throw Error(where(), "needs a bottom with at least 2 axes (N, C, ...), got shape " +
                             bottom[0]->shape_string());
  const auto& p = param_.prelu_param();
  channel_shared_ = p.channel_shared();
  const int channels = bottom[0]->shape(1);
  if (!blobs_.empty()) return;  // slopes given (copied from a model)
  // A shared slope is a 0-axis (scalar) blob, as in Caffe's caffemodels.
  auto slope = std::make_shared<Blob>(channel_shared_ ? std::vector<int>{}
                                                      : std::vector<int>{channels});
  if (p.has_filler())
    fill_blob(p.filler(), *slope);
  else
    slope->set_data(0.25f);
  blobs_.push_back(slope);
}

void PReLULayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() < 2)
    throw Error(where(), "needs a bottom with at least 2 axes (N, C, ...), got shape " +
                             bottom[0]->shape_string());
  const int want = channel_shared_ ? 1 : bottom[0]->shape(1);
  if (blobs_.size() != 1 || blobs_[0]->count() != want)
    throw Error(where(), "needs " + std::to_string(want) + " slope value(s) for a bottom of shape " +
                             bottom[0]->shape_string());
  NeuronLayer::reshape(bottom, top);
}

void PReLULayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  keep_input(bottom, top);
  const float* x = bottom[0]->data();
  const float* a = blobs_[0]->data();
  float* y = top[0]->mutable_data();
  const int n = bottom[0]->count(), dim = bottom[0]->count(2), channels = bottom[0]->shape(1);
  for (int i = 0; i < n; ++i) {
    const int c = channel_of(i, dim, channels);
    y[i] = std::max(x[i], 0.f) + a[c] * std::min(x[i], 0.f);
  }
}

void PReLULayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  const float* x = kept_input(bottom, top);
  const float* a = blobs_[0]->data();
  const float* dy = top[0]->diff();
  const int n = bottom[0]->count(), dim = bottom[0]->count(2), channels = bottom[0]->shape(1);
  // Slope gradient first: in place, dx overwrites dy. It accumulates, as every
  // parameter diff does (iter_size sums several backward passes).
  if (param_propagate_down(0)) {
    float* da = blobs_[0]->mutable_diff();
    for (int i = 0; i < n; ++i)
      if (x[i] <= 0) da[channel_of(i, dim, channels)] += dy[i] * x[i];
  }
  if (propagate_down[0]) {
    float* dx = bottom[0]->mutable_diff();
    for (int i = 0; i < n; ++i) dx[i] = dy[i] * (x[i] > 0 ? 1.f : a[channel_of(i, dim, channels)]);
  }
}

}  // namespace cortado
