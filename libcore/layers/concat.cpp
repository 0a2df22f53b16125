#include "layers/concat.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void ConcatLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.concat_param();
  if (p.has_axis() && p.has_concat_dim())
    throw Error(where(), "give either axis or the legacy concat_dim, not both");
}

void ConcatLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const auto& p = param_.concat_param();
  const int n = bottom[0]->num_axes();
  const int axis = p.has_concat_dim() ? static_cast<int>(p.concat_dim()) : p.axis();
  if (axis < -n || axis >= n)
    throw Error(where(), "axis " + std::to_string(axis) + " is out of range for bottom 0 of shape " +
                             bottom[0]->shape_string());
  axis_ = axis < 0 ? axis + n : axis;
  std::vector<int> shape = bottom[0]->shape();
  for (size_t k = 1; k < bottom.size(); ++k) {
    const Blob& b = *bottom[k];
    bool fits = b.num_axes() == n;
    for (int a = 0; fits && a < n; ++a) fits = a == axis_ || b.shape(a) == shape[a];
    if (!fits)
      throw Error(where(), "bottom " + std::to_string(k) + " of shape " + b.shape_string() +
                               " does not match bottom 0 of shape " + bottom[0]->shape_string() +
                               " except on axis " + std::to_string(axis_));
    shape[axis_] += b.shape(axis_);
  }
  top[0]->reshape(shape);
  outer_ = bottom[0]->count(0, axis_);
  inner_ = bottom[0]->count(axis_ + 1);
}

// Each bottom is a block of rows in every outer slice of the top: copy block by block.
void ConcatLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  float* y = top[0]->mutable_data();
  const size_t top_row = static_cast<size_t>(top[0]->shape(axis_)) * inner_;
  size_t offset = 0;
  for (Blob* b : bottom) {
    const size_t rows = static_cast<size_t>(b->shape(axis_)) * inner_;
    const float* x = b->data();
    for (int o = 0; o < outer_; ++o)
      std::copy(x + o * rows, x + (o + 1) * rows, y + o * top_row + offset);
    offset += rows;
  }
}

void ConcatLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  const float* dy = top[0]->diff();
  const size_t top_row = static_cast<size_t>(top[0]->shape(axis_)) * inner_;
  size_t offset = 0;
  for (size_t k = 0; k < bottom.size(); ++k) {
    const size_t rows = static_cast<size_t>(bottom[k]->shape(axis_)) * inner_;
    if (propagate_down[k]) {
      float* dx = bottom[k]->mutable_diff();
      for (int o = 0; o < outer_; ++o)
        std::copy(dy + o * top_row + offset, dy + o * top_row + offset + rows, dx + o * rows);
    }
    offset += rows;
  }
}

}  // namespace cortado
