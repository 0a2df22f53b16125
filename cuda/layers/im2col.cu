// Im2col's GPU half (its CPU half is libcore/layers/im2col.cpp): the convolution
// lowering's own kernels (cuda/layers/im2col.cuh), over the whole batch in one launch:
// the column matrices of consecutive images are the top's consecutive items.
#include "cuda/layers/im2col.cuh"
#include "layers/im2col.hpp"

namespace cortado {

void Im2colLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::im2col(geom_, num_, false, bottom[0]->gpu_data(), top[0]->mutable_gpu_data());
}

void Im2colLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::col2im(geom_, num_, top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff());
}

}  // namespace cortado
