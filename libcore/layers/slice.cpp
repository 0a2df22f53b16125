#include "layers/slice.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void SliceLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.slice_param();
  if (p.has_axis() && p.has_slice_dim())
    throw Error(where(), "give either axis or the legacy slice_dim, not both");
}

std::vector<int> SliceLayer::slice_sizes(int extent, int tops) const {
  const auto& p = param_.slice_param();
  std::vector<int> sizes;
  if (p.slice_point_size() == 0) {
    if (extent % tops != 0)
      throw Error(where(), "cannot split axis " + std::to_string(axis_) + " of size " +
                               std::to_string(extent) + " into " + std::to_string(tops) +
                               " equal parts; give slice_point");
    sizes.assign(tops, extent / tops);
    return sizes;
  }
  if (p.slice_point_size() != tops - 1)
    throw Error(where(), "has " + std::to_string(p.slice_point_size()) + " slice_point values for " +
                             std::to_string(tops) + " tops; give one fewer than the tops");
  int prev = 0;
  for (int i = 0; i <= p.slice_point_size(); ++i) {
    const int point = i < p.slice_point_size() ? static_cast<int>(p.slice_point(i)) : extent;
    if (point <= prev || point > extent)
      throw Error(where(), "slice_point values must ascend strictly within (0, " +
                               std::to_string(extent) + ") on axis " + std::to_string(axis_));
    sizes.push_back(point - prev);
    prev = point;
  }
  return sizes;
}

void SliceLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const auto& p = param_.slice_param();
  const int n = bottom[0]->num_axes();
  const int axis = p.has_slice_dim() ? static_cast<int>(p.slice_dim()) : p.axis();
  if (axis < -n || axis >= n)
    throw Error(where(), "axis " + std::to_string(axis) + " is out of range for a bottom of shape " +
                             bottom[0]->shape_string());
  axis_ = axis < 0 ? axis + n : axis;
  const std::vector<int> sizes =
      slice_sizes(bottom[0]->shape(axis_), static_cast<int>(top.size()));
  std::vector<int> shape = bottom[0]->shape();
  for (size_t k = 0; k < top.size(); ++k) {
    shape[axis_] = sizes[k];
    top[k]->reshape(shape);
  }
  outer_ = bottom[0]->count(0, axis_);
  inner_ = bottom[0]->count(axis_ + 1);
}

void SliceLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  const size_t bottom_row = static_cast<size_t>(bottom[0]->shape(axis_)) * inner_;
  size_t offset = 0;
  for (Blob* t : top) {
    const size_t rows = static_cast<size_t>(t->shape(axis_)) * inner_;
    float* y = t->mutable_data();
    for (int o = 0; o < outer_; ++o)
      std::copy(x + o * bottom_row + offset, x + o * bottom_row + offset + rows, y + o * rows);
    offset += rows;
  }
}

void SliceLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  float* dx = bottom[0]->mutable_diff();
  const size_t bottom_row = static_cast<size_t>(bottom[0]->shape(axis_)) * inner_;
  size_t offset = 0;
  for (Blob* t : top) {
    const size_t rows = static_cast<size_t>(t->shape(axis_)) * inner_;
    const float* dy = t->diff();
    for (int o = 0; o < outer_; ++o)
      std::copy(dy + o * rows, dy + (o + 1) * rows, dx + o * bottom_row + offset);
    offset += rows;
  }
}

}  // namespace cortado
