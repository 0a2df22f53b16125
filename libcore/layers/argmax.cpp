#include "layers/argmax.hpp"

#include <algorithm>
#include <functional>
#include <utility>

#include "util/error.hpp"

namespace cortado {

void ArgMaxLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.argmax_param();
  out_max_val_ = p.out_max_val();
  top_k_ = static_cast<int>(p.top_k());
  if (top_k_ < 1) throw Error(where(), "top_k must be at least 1");
  const Blob& x = *bottom[0];
  if (p.has_axis()) {
    const int n = x.num_axes();
    if (p.axis() < -n || p.axis() >= n)
      throw Error(where(), "axis " + std::to_string(p.axis()) +
                               " is out of range for a bottom of shape " + x.shape_string());
    axis_ = p.axis() < 0 ? p.axis() + n : p.axis();
  } else {
    axis_ = -1;
    if (x.num_axes() < 1) throw Error(where(), "needs a bottom with a batch axis");
  }
}

void ArgMaxLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const int extent = axis_ >= 0 ? x.shape(axis_) : x.count(1);
  if (top_k_ > extent)
    throw Error(where(), "top_k " + std::to_string(top_k_) + " exceeds the " +
                             std::to_string(extent) + " values to rank in a bottom of shape " +
                             x.shape_string());
  std::vector<int> shape;
  if (axis_ >= 0) {
    shape = x.shape();
    shape[axis_] = top_k_;
  } else {
    // Caffe's shape: at least 3 axes, (N, 1 or 2, top_k, 1...).
    shape.assign(std::max(3, x.num_axes()), 1);
    shape[0] = x.shape(0);
    shape[1] = out_max_val_ ? 2 : 1;
    shape[2] = top_k_;
  }
  top[0]->reshape(shape);
}

void ArgMaxLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const float* in = x.data();
  float* out = top[0]->mutable_data();
  // Values to rank sit `stride` apart: dim of them per ranking, `num` rankings.
  const int dim = axis_ >= 0 ? x.shape(axis_) : x.count(1);
  const int stride = axis_ >= 0 ? x.count(axis_ + 1) : 1;
  const int num = dim == 0 ? 0 : x.count() / dim;
  std::vector<std::pair<float, int>> ranked(dim);
  for (int i = 0; i < num; ++i) {
    const int outer = i / stride, in_row = i % stride;
    for (int j = 0; j < dim; ++j)
      ranked[j] = {in[(static_cast<size_t>(outer) * dim + j) * stride + in_row], j};
    // Descending by value; among equal values the larger index first, as Caffe.
    std::partial_sort(ranked.begin(), ranked.begin() + top_k_, ranked.end(),
                      std::greater<std::pair<float, int>>());
    for (int j = 0; j < top_k_; ++j) {
      const float value = ranked[j].first, index = static_cast<float>(ranked[j].second);
      if (axis_ >= 0) {
        out[(static_cast<size_t>(outer) * top_k_ + j) * stride + in_row] =
            out_max_val_ ? value : index;
      } else if (out_max_val_) {
        out[2 * static_cast<size_t>(i) * top_k_ + j] = index;
        out[(2 * static_cast<size_t>(i) + 1) * top_k_ + j] = value;
      } else {
        out[static_cast<size_t>(i) * top_k_ + j] = index;
      }
    }
  }
}

void ArgMaxLayer::backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& propagate_down,
                               const BlobVec& /*bottom*/) {
  if (!propagate_down.empty() && propagate_down[0])
    throw Error(where(), "has no gradient; no loss may depend on it through backward");
}

}  // namespace cortado
