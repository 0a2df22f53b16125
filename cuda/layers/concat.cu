// Concat's GPU half (its CPU half is libcore/layers/concat.cpp): each bottom is a
// block of rows in every outer slice of the top.
#include "cuda/layers/block_copy.cuh"
#include "layers/concat.hpp"

namespace cortado {

void ConcatLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  float* y = top[0]->mutable_gpu_data();
  const int64_t top_row = int64_t{top[0]->shape(axis_)} * inner_;
  int64_t offset = 0;
  for (Blob* b : bottom) {
    const int64_t rows = int64_t{b->shape(axis_)} * inner_;
    gpu::block_copy("concat_forward", outer_, rows, b->gpu_data(), rows, y + offset, top_row);
    offset += rows;
  }
}

void ConcatLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  const float* dy = top[0]->gpu_diff();
  const int64_t top_row = int64_t{top[0]->shape(axis_)} * inner_;
  int64_t offset = 0;
  for (size_t k = 0; k < bottom.size(); ++k) {
    const int64_t rows = int64_t{bottom[k]->shape(axis_)} * inner_;
    if (propagate_down[k])
      gpu::block_copy("concat_backward", outer_, rows, dy + offset, top_row,
                      bottom[k]->mutable_gpu_diff(), rows);
    offset += rows;
  }
}

}  // namespace cortado
