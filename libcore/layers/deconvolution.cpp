#include "layers/deconvolution.hpp"

namespace cortado {

// In convolution terms the top is the conv input and the bottom the conv output.
void DeconvolutionLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* weights = blobs_[0]->data();
  for (size_t i = 0; i < bottom.size(); ++i) {
    const float* x = bottom[i]->data();
    float* y = top[i]->mutable_data();
    for_chunks([&](int n, int count, Workspace& ws, float*) {
      backward_gemm(x + long(n) * bottom_dim_, weights, y + long(n) * top_dim_, count, ws);
    });
    if (bias_term_) add_bias(y, blobs_[1]->data());
  }
}

void DeconvolutionLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
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
          // Both passes read the columns of the top diff: unroll it once.
          const float* col = columns(dy + long(n) * top_dim_, count, ws);
          if (dw) weight_gemm(col, x + long(n) * bottom_dim_, dw, count, ws);
          if (dx) forward_gemm(col, weights, dx + long(n) * bottom_dim_, count, ws);
        },
        dweights);
  }
}

}  // namespace cortado
