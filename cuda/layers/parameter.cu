// Parameter's GPU half (its CPU half is libcore/layers/parameter.cpp): a copy of the
// blob to the top, and the top's diff added to the blob's (the top does not share the
// blob's memory, see parameter.hpp).
#include "blob/device_memory.hpp"
#include "cuda/layers/elementwise.cuh"
#include "layers/parameter.hpp"

namespace cortado {

void ParameterLayer::forward_gpu(const BlobVec& /*bottom*/, const BlobVec& top) {
  const int n = blobs_[0]->count();
  if (n == 0) return;
  device::copy_on_device(top[0]->mutable_gpu_data(), blobs_[0]->gpu_data(), sizeof(float) * n);
}

void ParameterLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& /*propagate_down*/,
                                  const BlobVec& /*bottom*/) {
  if (!param_propagate_down(0)) return;
  gpu::for_each_index("parameter_backward", blobs_[0]->count(),
                      gpu::Accumulate{top[0]->gpu_diff(), blobs_[0]->mutable_gpu_diff()});
}

}  // namespace cortado
