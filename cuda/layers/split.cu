// Split's GPU half (its CPU half is libcore/layers/split.cpp): forward shares the
// bottom's data; backward sums the tops' diffs in the CPU's order.
#include "blob/device_memory.hpp"
#include "cuda/layers/elementwise.cuh"
#include "layers/split.hpp"

namespace cortado {

void SplitLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  if (n == 0) return;
  float* dx = bottom[0]->mutable_gpu_diff();
  device::copy_on_device(dx, top[0]->gpu_diff(), sizeof(float) * size_t(n));
  for (size_t k = 1; k < top.size(); ++k)
    gpu::for_each_index("split_backward", n, gpu::Accumulate{top[k]->gpu_diff(), dx});
}

}  // namespace cortado
