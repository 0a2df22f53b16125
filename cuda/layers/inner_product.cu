// InnerProduct's GPU half (its CPU half is libcore/layers/inner_product.cpp): the
// same three products by gpu::gemm_bias (cuBLAS, FP32 unless --tf32, or where it times
// faster our small-GEMM kernel), forward with the bias and a fused ReLU.
#include "cuda/layers/channel_bias.hpp"
#include "cuda/math/gemm.hpp"
#include "cuda/util/side_work.hpp"
#include "layers/inner_product.hpp"

namespace cortado {

void InnerProductLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  // y (M x N) = x W^T, or x W with transpose (W stored K x N); then the bias, and the
  // fused ReLU if any (Layer::fuse_relu_gpu)
  gpu::gemm_bias(Trans::no, transpose_ ? Trans::no : Trans::yes, M_, N_, K_, 1.f,
                 bottom[0]->gpu_data(), blobs_[0]->gpu_data(), 0.f, top[0]->mutable_gpu_data(),
                 bias_term_ ? blobs_[1]->gpu_data() : nullptr, fused_relu_slope_);
}

void InnerProductLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  float* dbias = bias_term_ && param_propagate_down(1) ? blobs_[1]->mutable_gpu_diff() : nullptr;
  // first: the products below take the diff the fused ReLU masked
  if (fused_relu_slope_)
    gpu::bias_grad_pass(M_, N_, 1, top[0]->gpu_data(), fused_relu_slope_,
                        top[0]->mutable_gpu_diff(), dbias);
  const float* dy = top[0]->gpu_diff();
  const float* x = bottom[0]->gpu_data();
  const bool bias_beside = dbias && !fused_relu_slope_;
  if (param_propagate_down(0) || bias_beside) {
    gpu::SideWork side;  // beside the bottom diff: nothing reads these before the update
    if (bias_beside) gpu::bias_grad(M_, N_, 1, dy, dbias);
    if (param_propagate_down(0)) {
      if (transpose_)  // dW (K x N) += x^T dy
        gpu::gemm_bias(Trans::yes, Trans::no, K_, N_, M_, 1.f, x, dy, 1.f,
                       blobs_[0]->mutable_gpu_diff());
      else  // dW (N x K) += dy^T x
        gpu::gemm_bias(Trans::yes, Trans::no, N_, K_, M_, 1.f, dy, x, 1.f,
                       blobs_[0]->mutable_gpu_diff());
    }
  }
  if (propagate_down[0])  // dx (M x K) = dy W, or dy W^T with transpose
    gpu::gemm_bias(Trans::no, transpose_ ? Trans::yes : Trans::no, M_, K_, N_, 1.f, dy,
                   blobs_[0]->gpu_data(), 0.f, bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
