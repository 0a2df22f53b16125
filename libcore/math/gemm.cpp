#include "math/gemm.hpp"

#include <Eigen/Core>

namespace cortado {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMat = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;
using MutMat = Eigen::Map<RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;

template <class LhsT, class RhsT>
void product_into(MutMat& c, float alpha, const LhsT& a, const RhsT& b, float beta) {
  if (beta == 0.f) {
    c.noalias() = alpha * a * b;
    return;
  }
  if (beta != 1.f) c *= beta;
  c.noalias() += alpha * a * b;
}

}  // namespace

void gemm(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  MutMat c(C, M, N, Eigen::OuterStride<>(ldc));
  // A transposed is stored K x M; B transposed is stored N x K.
  const ConstMat a(A, ta == Trans::no ? M : K, ta == Trans::no ? K : M, Eigen::OuterStride<>(lda));
  const ConstMat b(B, tb == Trans::no ? K : N, tb == Trans::no ? N : K, Eigen::OuterStride<>(ldb));
  if (ta == Trans::no && tb == Trans::no)
    product_into(c, alpha, a, b, beta);
  else if (ta == Trans::no)
    product_into(c, alpha, a, b.transpose(), beta);
  else if (tb == Trans::no)
    product_into(c, alpha, a.transpose(), b, beta);
  else
    product_into(c, alpha, a.transpose(), b.transpose(), beta);
}

void gemv(Trans ta, int M, int N, float alpha, const float* A, const float* x, float beta,
          float* y) {
  const int out = ta == Trans::no ? M : N, in = ta == Trans::no ? N : M;
  Eigen::Map<const RowMat> a(A, M, N);
  Eigen::Map<const Eigen::VectorXf> xv(x, in);
  Eigen::Map<Eigen::VectorXf> yv(y, out);
  if (beta == 0.f)
    yv.setZero();
  else if (beta != 1.f)
    yv *= beta;
  if (ta == Trans::no)
    yv.noalias() += alpha * a * xv;
  else
    yv.noalias() += alpha * a.transpose() * xv;
}

}  // namespace cortado
