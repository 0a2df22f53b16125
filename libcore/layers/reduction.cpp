#include "layers/reduction.hpp"

#include <cmath>

#include "util/error.hpp"

namespace cortado {

using Op = caffe::ReductionParameter;

void ReductionLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const int raw = param_.reduction_param().axis();
  if (raw < -x.num_axes() || raw >= std::max(x.num_axes(), 1))
    throw Error(where(), "reduction_param axis " + std::to_string(raw) + " is out of range for " +
                             x.shape_string());
  const int axis = x.num_axes() == 0 ? 0 : x.canonical_axis(raw);
  const std::vector<int> kept(x.shape().begin(), x.shape().begin() + axis);
  top[0]->reshape(kept);
  rows_ = x.count(0, axis);
  dim_ = x.count(axis);
}

float ReductionLayer::scale() const {
  const auto& p = param_.reduction_param();
  return p.operation() == Op::MEAN ? p.coeff() / std::max(dim_, 1) : p.coeff();
}

void ReductionLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const Op::ReductionOp op = param_.reduction_param().operation();
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  const float s = scale();
  for (int r = 0; r < rows_; ++r) {
    const float* xr = x + static_cast<int64_t>(r) * dim_;
    double acc = 0;
    for (int i = 0; i < dim_; ++i) {
      const double v = xr[i];
      acc += op == Op::ASUM ? std::fabs(v) : op == Op::SUMSQ ? v * v : v;
    }
    y[r] = static_cast<float>(acc) * s;
  }
}

// Each input's slope times its row's top diff: 1 (SUM, MEAN), sign(x) (ASUM), 2x (SUMSQ).
void ReductionLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const Op::ReductionOp op = param_.reduction_param().operation();
  const float* x = bottom[0]->data();
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  const float s = scale();
  for (int r = 0; r < rows_; ++r) {
    const float g = dy[r] * s;
    const int64_t o = static_cast<int64_t>(r) * dim_;
    for (int i = 0; i < dim_; ++i) {
      const float v = x[o + i];
      dx[o + i] = op == Op::ASUM    ? g * static_cast<float>((v > 0) - (v < 0))
                  : op == Op::SUMSQ ? 2.f * v * g
                                    : g;
    }
  }
}

}  // namespace cortado
