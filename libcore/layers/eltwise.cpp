#include "layers/eltwise.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void EltwiseLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const auto& p = param_.eltwise_param();
  op_ = p.operation();
  if (p.coeff_size() > 0 && op_ != caffe::EltwiseParameter::SUM)
    throw Error(where(), "coeff is for operation SUM only");
  if (p.coeff_size() > 0 && p.coeff_size() != static_cast<int>(bottom.size()))
    throw Error(where(), "has " + std::to_string(p.coeff_size()) + " coeff values for " +
                             std::to_string(bottom.size()) + " bottoms; give one per bottom");
  coeff_.assign(bottom.size(), 1.f);
  for (int i = 0; i < p.coeff_size(); ++i) coeff_[i] = p.coeff(i);
  for (Blob* t : top)
    for (Blob* b : bottom)
      if (t == b) throw Error(where(), "cannot run in place (a top is also a bottom)");
}

void EltwiseLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  for (size_t i = 1; i < bottom.size(); ++i)
    if (bottom[i]->shape() != bottom[0]->shape())
      throw Error(where(), "needs bottoms of one shape; bottom 0 is " + bottom[0]->shape_string() +
                               ", bottom " + std::to_string(i) + " is " +
                               bottom[i]->shape_string());
  top[0]->reshape_like(*bottom[0]);
  if (op_ == caffe::EltwiseParameter::MAX) argmax_.resize(bottom[0]->count());
}

void EltwiseLayer::forward_max(const BlobVec& bottom, float* y) {
  const int n = bottom[0]->count();
  const float* a = bottom[0]->data();
  const float* b = bottom[1]->data();
  for (int i = 0; i < n; ++i) {
    const bool first = a[i] > b[i];
    y[i] = first ? a[i] : b[i];
    argmax_[i] = first ? 0 : 1;
  }
  for (size_t k = 2; k < bottom.size(); ++k) {
    const float* c = bottom[k]->data();
    for (int i = 0; i < n; ++i)
      if (c[i] > y[i]) {
        y[i] = c[i];
        argmax_[i] = static_cast<int>(k);
      }
  }
}

void EltwiseLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  float* y = top[0]->mutable_data();
  switch (op_) {
    case caffe::EltwiseParameter::PROD: {
      std::copy(bottom[0]->data(), bottom[0]->data() + n, y);
      for (size_t k = 1; k < bottom.size(); ++k) {
        const float* x = bottom[k]->data();
        for (int i = 0; i < n; ++i) y[i] *= x[i];
      }
      break;
    }
    case caffe::EltwiseParameter::SUM: {
      std::fill(y, y + n, 0.f);
      for (size_t k = 0; k < bottom.size(); ++k) {
        const float* x = bottom[k]->data();
        const float c = coeff_[k];
        for (int i = 0; i < n; ++i) y[i] += c * x[i];
      }
      break;
    }
    case caffe::EltwiseParameter::MAX:
      forward_max(bottom, y);
      break;
    default:
      throw Error(where(), "unknown eltwise operation " + std::to_string(op_));
  }
}

// d(prod)/dx_k: the product of the other bottoms. stable_prod_grad multiplies
// them out; otherwise y / x_k, which is cheaper but 0/0 where x_k is 0.
void EltwiseLayer::backward_prod(const BlobVec& top, int k, const BlobVec& bottom) {
  const int n = bottom[0]->count();
  const float* dy = top[0]->diff();
  float* dx = bottom[k]->mutable_diff();
  if (param_.eltwise_param().stable_prod_grad()) {
    std::fill(dx, dx + n, 1.f);
    for (size_t j = 0; j < bottom.size(); ++j) {
      if (static_cast<int>(j) == k) continue;
      const float* x = bottom[j]->data();
      for (int i = 0; i < n; ++i) dx[i] *= x[i];
    }
  } else {
    const float* y = top[0]->data();
    const float* x = bottom[k]->data();
    for (int i = 0; i < n; ++i) dx[i] = y[i] / x[i];
  }
  for (int i = 0; i < n; ++i) dx[i] *= dy[i];
}

void EltwiseLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  const int n = bottom[0]->count();
  const float* dy = top[0]->diff();
  for (size_t k = 0; k < bottom.size(); ++k) {
    if (!propagate_down[k]) continue;
    float* dx = bottom[k]->mutable_diff();
    switch (op_) {
      case caffe::EltwiseParameter::PROD:
        backward_prod(top, static_cast<int>(k), bottom);
        break;
      case caffe::EltwiseParameter::SUM:
        for (int i = 0; i < n; ++i) dx[i] = coeff_[k] * dy[i];
        break;
      case caffe::EltwiseParameter::MAX:
        for (int i = 0; i < n; ++i) dx[i] = argmax_[i] == static_cast<int>(k) ? dy[i] : 0.f;
        break;
      default:
        break;
    }
  }
}

}  // namespace cortado
