#include "layers/inner_product.hpp"

#include <Eigen/Core>

#include "layers/learnable_blobs.hpp"
#include "math/gemm.hpp"
#include "util/error.hpp"

namespace cortado {

void InnerProductLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.inner_product_param();
  if (!p.has_num_output() || p.num_output() == 0)
    throw Error(where(), "num_output must be given and positive");
  const int axes = bottom[0]->num_axes();
  if (p.axis() < -axes || p.axis() >= axes)
    throw Error(where(), "axis " + std::to_string(p.axis()) +
                             " is out of range for a bottom of shape " + bottom[0]->shape_string());
  axis_ = p.axis() < 0 ? p.axis() + axes : p.axis();
  N_ = static_cast<int>(p.num_output());
  K_ = bottom[0]->count(axis_);
  bias_term_ = p.bias_term();
  transpose_ = p.transpose();
  const std::vector<int> wshape = transpose_ ? std::vector<int>{K_, N_} : std::vector<int>{N_, K_};
  std::vector<BlobSpec> specs = {{"weight", wshape, &p.weight_filler()}};
  if (bias_term_) specs.push_back({"bias", {N_}, &p.bias_filler()});
  make_or_check_blobs(blobs_, specs, where());
}

void InnerProductLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& b = *bottom[0];
  if (axis_ >= b.num_axes() || b.count(axis_) != K_)
    throw Error(where(), "bottom shape " + b.shape_string() + " gives " +
                             std::to_string(axis_ < b.num_axes() ? b.count(axis_) : 0) +
                             " inputs per sample from axis " + std::to_string(axis_) +
                             "; the weights expect " + std::to_string(K_));
  M_ = b.count(0, axis_);
  std::vector<int> shape(b.shape().begin(), b.shape().begin() + axis_);
  shape.push_back(N_);
  top[0]->reshape(shape);
}

void InnerProductLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  float* y = top[0]->mutable_data();
  const float* x = bottom[0]->data();
  const float* w = blobs_[0]->data();
  Eigen::Map<RowMat> ym(y, M_, N_);
  if (M_ < N_) {
    // Few samples, many outputs (fc6: 16 x 4096): computed as top^T = W x^T, then
    // transposed. Eigen splits a product's threads along the rows of its result, and
    // with only M rows each thread would stream all of W (measured 18 ms instead of
    // 32 ms for CaffeNet's fc6 on 2 threads).
    top_t_.resize(size_t(N_) * M_);
    gemm(transpose_ ? Trans::yes : Trans::no, Trans::yes, N_, M_, K_, 1.f, w, x, 0.f,
         top_t_.data());
    ym = Eigen::Map<const RowMat>(top_t_.data(), N_, M_).transpose();
  } else {
    gemm(Trans::no, transpose_ ? Trans::no : Trans::yes, M_, N_, K_, 1.f, x, w, 0.f, y);
  }
  if (bias_term_) ym.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(blobs_[1]->data(), N_);
}

void InnerProductLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  const float* dy = top[0]->diff();
  const float* x = bottom[0]->data();
  if (param_propagate_down(0)) {
    if (transpose_)  // dW (K x N) += x^T dy
      gemm(Trans::yes, Trans::no, K_, N_, M_, 1.f, x, dy, 1.f, blobs_[0]->mutable_diff());
    else  // dW (N x K) += dy^T x
      gemm(Trans::yes, Trans::no, N_, K_, M_, 1.f, dy, x, 1.f, blobs_[0]->mutable_diff());
  }
  if (bias_term_ && param_propagate_down(1)) {
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> dym(
        dy, M_, N_);
    Eigen::Map<Eigen::RowVectorXf>(blobs_[1]->mutable_diff(), N_) += dym.colwise().sum();
  }
  if (propagate_down[0])  // dx (M x K) = dy W, or dy W^T with transpose
    gemm(Trans::no, transpose_ ? Trans::yes : Trans::no, M_, K_, N_, 1.f, dy, blobs_[0]->data(),
         0.f, bottom[0]->mutable_diff());
}

}  // namespace cortado
