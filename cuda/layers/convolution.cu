// Convolution's GPU half (its CPU half is libcore/layers/convolution.cpp), on cuDNN
// (cuda/layers/cudnn_conv.hpp). Every bottom/top pair shares the weights.
#ifdef CORTADO_WITH_CUDNN
#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/util/side_work.hpp"
#include "layers/convolution.hpp"

namespace cortado {

void ConvolutionLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (num_ == 0) return;  // an empty batch: nothing to compute (cuDNN needs a sample)
  gpu::CudnnConv& conv = cudnn_conv();
  const float* weights = blobs_[0]->gpu_data();
  const float* bias = bias_term_ ? blobs_[1]->gpu_data() : nullptr;
  for (size_t i = 0; i < bottom.size(); ++i)
    conv.forward(bottom[i]->gpu_data(), weights, top[i]->mutable_gpu_data(), bias,
                 fused_relu_slope_);
}

void ConvolutionLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                    const BlobVec& bottom) {
  if (num_ == 0) return;
  gpu::CudnnConv& conv = cudnn_conv();
  // With no fused ReLU to mask the top diff first, the bias gradient goes with the
  // weight gradient (the direct kernel sums both in one pass).
  const bool bias_with_filter = param_propagate_down(0) && !fused_relu_slope_;
  float* dbias = bias_with_filter && bias_term_ && param_propagate_down(1)
                     ? blobs_[1]->mutable_gpu_diff()
                     : nullptr;
  for (size_t i = 0; i < top.size(); ++i) {
    if (!bias_with_filter) top_diff_pass_gpu(top[i]);
    const float* dy = top[i]->gpu_diff();
    if (param_propagate_down(0)) {
      gpu::SideWork side;  // beside the bottom diff: nothing reads it before the update
      conv.backward_filter(bottom[i]->gpu_data(), dy, blobs_[0]->mutable_gpu_diff(), dbias);
    }
    if (propagate_down[i])
      conv.backward_data(blobs_[0]->gpu_data(), dy, bottom[i]->mutable_gpu_diff());
  }
}

}  // namespace cortado
#endif  // CORTADO_WITH_CUDNN
