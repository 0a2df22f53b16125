#include "layers/convolution.hpp"

namespace cortado {

void ConvolutionLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* weights = blobs_[0]->data();
  for (size_t i = 0; i < bottom.size(); ++i) {
    const float* x = bottom[i]->data();
    float* y = top[i]->mutable_data();
    for_chunks([&](int n, int count, Workspace& ws, float*) {
      forward_gemm(columns(x + long(n) * bottom_dim_, count, ws), weights, y + long(n) * top_dim_,
                   count, ws);
    });
    if (bias_term_) add_bias(y, blobs_[1]->data());
  }
}

void ConvolutionLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                    const BlobVec& bottom) {
  const float* weights = blobs_[0]->data();
  const bool weight_grad = param_propagate_down(0);
  float* dweights = weight_grad ? blobs_[0]->mutable_diff() : nullptr;
  for (size_t i = 0; i < top.size(); ++i) {
    const float* dy = top[i]->diff();
    if (bias_term_ && param_propagate_down(1)) bias_gradient(dy, blobs_[1]->mutable_diff());
    if (!weight_grad && !propagate_down[i]) continue;
    const float* x = bottom[i]->data();
    float* dx = propagate_down[i] ? bottom[i]->mutable_diff() : nullptr;
    for_chunks(
        [&](int n, int count, Workspace& ws, float* dw) {
          const float* dy_n = dy + long(n) * top_dim_;
          if (dw) weight_gemm(columns(x + long(n) * bottom_dim_, count, ws), dy_n, dw, count, ws);
          if (dx) backward_gemm(dy_n, weights, dx + long(n) * bottom_dim_, count, ws);
        },
        dweights);
  }
}

}  // namespace cortado
