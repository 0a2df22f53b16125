// Silence's GPU half (its CPU half is libcore/layers/silence.cpp): the bottoms'
// diffs are zeroed on the device.
#include <cuda_runtime_api.h>

#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "layers/silence.hpp"

namespace cortado {

void SilenceLayer::backward_gpu(const BlobVec& /*top*/, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  for (size_t i = 0; i < bottom.size(); ++i) {
    if (!propagate_down[i] || bottom[i]->count() == 0) continue;
    // All-zero bytes are 0.f.
    gpu::check(
        cudaMemsetAsync(bottom[i]->mutable_gpu_diff(), 0,
                        sizeof(float) * size_t(bottom[i]->count()), gpu::Context::get().stream()),
        "zeroing Silence's bottom diffs");
  }
}

}  // namespace cortado
