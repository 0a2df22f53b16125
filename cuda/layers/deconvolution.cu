// Deconvolution's GPU half (its CPU half is libcore/layers/deconvolution.cpp), on
// cuDNN (cuda/layers/cudnn_conv.hpp). In convolution terms the top is the conv
// input and the bottom the conv output, so forward is cuDNN's backward-data pass.
#ifdef CORTADO_WITH_CUDNN
#include "cuda/layers/cudnn_conv.hpp"
#include "cuda/util/side_work.hpp"
#include "layers/deconvolution.hpp"

namespace cortado {

void DeconvolutionLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (num_ == 0) return;  // an empty batch: nothing to compute (cuDNN needs a sample)
  gpu::CudnnConv& conv = cudnn_conv();
  const float* weights = blobs_[0]->gpu_data();
  for (size_t i = 0; i < bottom.size(); ++i) {
    conv.backward_data(weights, bottom[i]->gpu_data(), top[i]->mutable_gpu_data());
    finish_top_gpu(top[i]);
  }
}

void DeconvolutionLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                      const BlobVec& bottom) {
  if (num_ == 0) return;
  gpu::CudnnConv& conv = cudnn_conv();
  for (size_t i = 0; i < top.size(); ++i) {
    top_diff_pass_gpu(top[i]);
    const float* dy = top[i]->gpu_diff();
    if (param_propagate_down(0)) {  // dW += (top diff) x (bottom data), conv input x output
      gpu::SideWork side;           // beside the bottom diff: nothing reads it before the update
      conv.backward_filter(dy, bottom[i]->gpu_data(), blobs_[0]->mutable_gpu_diff());
    }
    if (propagate_down[i])  // bottom diff = conv(top diff, W)
      conv.forward(dy, blobs_[0]->gpu_data(), bottom[i]->mutable_gpu_diff());
  }
}

}  // namespace cortado
#endif  // CORTADO_WITH_CUDNN
