// Slice's GPU half (its CPU half is libcore/layers/slice.cpp): each top is a block
// of rows in every outer slice of the bottom.
#include "cuda/layers/block_copy.cuh"
#include "layers/slice.hpp"

namespace cortado {

void SliceLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->gpu_data();
  const int64_t bottom_row = int64_t{bottom[0]->shape(axis_)} * inner_;
  int64_t offset = 0;
  for (Blob* t : top) {
    const int64_t rows = int64_t{t->shape(axis_)} * inner_;
    gpu::block_copy("slice_forward", outer_, rows, x + offset, bottom_row, t->mutable_gpu_data(),
                    rows);
    offset += rows;
  }
}

void SliceLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  float* dx = bottom[0]->mutable_gpu_diff();
  const int64_t bottom_row = int64_t{bottom[0]->shape(axis_)} * inner_;
  int64_t offset = 0;
  for (Blob* t : top) {
    const int64_t rows = int64_t{t->shape(axis_)} * inner_;
    gpu::block_copy("slice_backward", outer_, rows, t->gpu_diff(), rows, dx + offset, bottom_row);
    offset += rows;
  }
}

}  // namespace cortado
