#include "layers/reshape.hpp"

#include "util/error.hpp"

namespace cortado {

void ReshapeLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  if (top[0] == bottom[0]) throw Error(where(), "cannot run in place (top is the bottom)");
  const auto& shape = param_.reshape_param().shape();
  inferred_axis_ = -1;
  copy_axes_.clear();
  for (int i = 0; i < shape.dim_size(); ++i) {
    const long long d = shape.dim(i);
    if (d == 0) {
      copy_axes_.push_back(i);
    } else if (d == -1) {
      if (inferred_axis_ != -1) throw Error(where(), "shape may contain only one -1 (inferred) dim");
      inferred_axis_ = i;
    } else if (d < -1) {
      throw Error(where(), "shape dim " + std::to_string(d) +
                               " is invalid; use a positive size, 0 (copy) or -1 (infer)");
    }
  }
}

std::vector<int> ReshapeLayer::top_shape(const Blob& bottom) const {
  const auto& p = param_.reshape_param();
  const int n = bottom.num_axes();
  // A negative axis counts from the end, -1 meaning after the last axis.
  const int start = p.axis() >= 0 ? p.axis() : p.axis() + n + 1;
  if (start < 0 || start > n)
    throw Error(where(), "axis " + std::to_string(p.axis()) +
                             " is out of range for a bottom of shape " + bottom.shape_string());
  if (p.num_axes() < -1)
    throw Error(where(), "num_axes must be non-negative, or -1 for all axes from `axis`");
  const int end = p.num_axes() == -1 ? n : start + p.num_axes();
  if (end > n)
    throw Error(where(), "axis " + std::to_string(p.axis()) + " with num_axes " +
                             std::to_string(p.num_axes()) + " runs past a bottom of shape " +
                             bottom.shape_string());
  std::vector<int> shape(bottom.shape().begin(), bottom.shape().begin() + start);
  for (auto d : p.shape().dim()) shape.push_back(static_cast<int>(d));
  shape.insert(shape.end(), bottom.shape().begin() + end, bottom.shape().end());
  for (int c : copy_axes_) {
    if (start + c >= n)
      throw Error(where(), "shape dim " + std::to_string(c) +
                               " is 0 (copy) but the bottom of shape " + bottom.shape_string() +
                               " has no axis " + std::to_string(start + c));
    shape[start + c] = bottom.shape(start + c);
  }
  if (inferred_axis_ >= 0) {
    long long known = 1;
    for (size_t i = 0; i < shape.size(); ++i)
      if (static_cast<int>(i) != start + inferred_axis_) known *= shape[i];
    if (known == 0 || bottom.count() % known != 0)
      throw Error(where(), "cannot infer the -1 dim: the bottom's count " +
                               std::to_string(bottom.count()) + " is not a multiple of " +
                               std::to_string(known));
    shape[start + inferred_axis_] = static_cast<int>(bottom.count() / known);
  }
  return shape;
}

void ReshapeLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const std::vector<int> shape = top_shape(*bottom[0]);
  long long count = 1;
  for (int d : shape) count *= d;
  if (count != bottom[0]->count())
    throw Error(where(), "output shape " + shape_string(shape) + " does not have the count of " +
                             "the bottom, " + bottom[0]->shape_string());
  top[0]->reshape(shape);
  top[0]->share_data(*bottom[0]);
  top[0]->share_diff(*bottom[0]);
}

}  // namespace cortado
