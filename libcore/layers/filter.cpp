#include "layers/filter.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void FilterLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  num_data_ = static_cast<int>(bottom.size()) - 1;
  if (static_cast<int>(top.size()) != num_data_)
    throw Error(where(), "needs one top per data bottom (bottoms minus the selector): " +
                             std::to_string(bottom.size()) + " bottoms want " +
                             std::to_string(num_data_) + " tops, got " +
                             std::to_string(top.size()));
  shaped_once_ = false;
}

void FilterLayer::check_shapes(const BlobVec& bottom) const {
  const Blob& sel = *bottom[num_data_];
  if (sel.num_axes() < 1 || sel.count() != sel.shape(0))
    throw Error(where(),
                "the selector (last bottom) must hold one value per item (shape N or "
                "N x 1 x ... x 1); its shape is " +
                    sel.shape_string());
  for (int j = 0; j < num_data_; ++j)
    if (bottom[j]->num_axes() < 1 || bottom[j]->shape(0) != sel.shape(0))
      throw Error(where(), "bottom " + std::to_string(j) + " of shape " +
                               bottom[j]->shape_string() +
                               " does not have the selector's first dimension (selector shape " +
                               sel.shape_string() + ")");
}

void FilterLayer::select(const BlobVec& bottom, const BlobVec& top) {
  const Blob& sel = *bottom[num_data_];
  const float* s = sel.data();
  kept_.clear();
  for (int i = 0; i < sel.count(); ++i)
    if (s[i] != 0.f) kept_.push_back(i);
  // No item kept gives tops with first dimension 0, as in Caffe.
  for (int j = 0; j < num_data_; ++j) {
    std::vector<int> shape = bottom[j]->shape();
    shape[0] = static_cast<int>(kept_.size());
    top[j]->reshape(shape);
  }
}

void FilterLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  check_shapes(bottom);
  if (shaped_once_) {
    select(bottom, top);
    return;
  }
  // At setup the selector's values are usually not computed yet (a data layer fills
  // them on its forward), so the tops get every item, as Caffe's first reshape does.
  shaped_once_ = true;
  for (int j = 0; j < num_data_; ++j) top[j]->reshape(bottom[j]->shape());
}

void FilterLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  // Again here, not only in reshape: the tops must match the selector read now.
  check_shapes(bottom);
  select(bottom, top);
  for (int j = 0; j < num_data_; ++j) {
    const long inner = bottom[j]->count(1);
    const float* x = bottom[j]->data();
    float* y = top[j]->mutable_data();
    for (size_t k = 0; k < kept_.size(); ++k)
      std::copy(x + kept_[k] * inner, x + (kept_[k] + 1) * inner, y + long(k) * inner);
  }
}

void FilterLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  if (propagate_down[num_data_])
    throw Error(where(),
                "cannot backpropagate to the selector (bottom " + std::to_string(num_data_) + ")");
  for (int j = 0; j < num_data_; ++j) {
    if (!propagate_down[j]) continue;
    const long inner = bottom[j]->count(1);
    const float* dy = top[j]->diff();
    float* dx = bottom[j]->mutable_diff();
    std::fill(dx, dx + bottom[j]->count(), 0.f);
    for (size_t k = 0; k < kept_.size(); ++k)
      std::copy(dy + long(k) * inner, dy + long(k + 1) * inner, dx + kept_[k] * inner);
  }
}

}  // namespace cortado
