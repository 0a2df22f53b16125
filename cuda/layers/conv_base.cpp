// What the GPU halves of Convolution and Deconvolution share (their CPU base is
// libcore/layers/conv_base.cpp).
#ifdef CORTADO_WITH_CUDNN
#include "layers/conv_base.hpp"

#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/cudnn_conv.hpp"

namespace cortado {

// The geometry reshape worked out (conv input image -> columns, 1-d as height 1).
gpu::CudnnConv& ConvBaseLayer::cudnn_conv() {
  if (!cudnn_conv_) cudnn_conv_ = std::make_shared<gpu::CudnnConv>(where());
  gpu::ConvShape s;
  s.num = num_;
  s.in_channels = geom_.channels;
  s.in_h = geom_.height;
  s.in_w = geom_.width;
  s.out_channels = conv_out_channels_;
  s.out_h = geom_.col_h;
  s.out_w = geom_.col_w;
  s.kernel_h = geom_.kernel_h;
  s.kernel_w = geom_.kernel_w;
  s.pad_h = geom_.pad_h;
  s.pad_w = geom_.pad_w;
  s.stride_h = geom_.stride_h;
  s.stride_w = geom_.stride_w;
  s.dilation_h = geom_.dilation_h;
  s.dilation_w = geom_.dilation_w;
  s.group = group_;
  cudnn_conv_->set_shape(s);
  return *cudnn_conv_;
}

void ConvBaseLayer::finish_top_gpu(Blob* top) const {
  const float* bias = bias_term_ ? blobs_[1]->gpu_data() : nullptr;
  gpu::add_channel_bias(num_, num_output_, top_spatial_, bias, top->mutable_gpu_data(),
                        fused_relu_slope_);
}

void ConvBaseLayer::top_diff_pass_gpu(Blob* top) {
  float* dbias = bias_term_ && param_propagate_down(1) ? blobs_[1]->mutable_gpu_diff() : nullptr;
  gpu::bias_grad_pass(num_, num_output_, top_spatial_, top->gpu_data(), fused_relu_slope_,
                      top->mutable_gpu_diff(), dbias);
}

}  // namespace cortado
#endif  // CORTADO_WITH_CUDNN
