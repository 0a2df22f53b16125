// SPP's GPU half (its CPU half is libcore/layers/spp.cpp): the inner Poolings run their
// own device code (switched to GPU mode here, as Layer::set_mode reaches only this
// layer), and the flattening, the concatenation and the sum of the levels' gradients
// run on the device too, in the CPU's order (level 0's gradient, then each later
// level's added in turn), so the sums are the CPU's.
#include "cuda/layers/block_copy.cuh"
#include "cuda/layers/elementwise.cuh"
#include "layers/spp.hpp"

namespace cortado {

void SPPLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  set_level_mode(Mode::gpu);
  for (int i = 0; i < levels_; ++i) pools_[i]->forward({level_in(i, bottom)}, {level_out(i, top)});
  if (levels_ == 1) return;
  // Each sample's row holds level 0's values, then level 1's...
  const int64_t num = top[0]->shape(0), row = top[0]->shape(1);
  float* y = top[0]->mutable_gpu_data();
  int64_t offset = 0;
  for (const auto& p : pooled_) {
    const int64_t len = p->count(1);
    gpu::block_copy("spp_forward", num, len, p->gpu_data(), len, y + offset, row);
    offset += len;
  }
}

void SPPLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  set_level_mode(Mode::gpu);
  if (levels_ == 1) {
    pools_[0]->backward(top, {true}, bottom);
    return;
  }
  const int64_t num = top[0]->shape(0), row = top[0]->shape(1);
  const float* dy = top[0]->gpu_diff();
  int64_t offset = 0;
  for (const auto& p : pooled_) {
    const int64_t len = p->count(1);
    gpu::block_copy("spp_backward", num, len, dy + offset, row, p->mutable_gpu_diff(), len);
    offset += len;
  }
  // Level 0 overwrites the bottom's diff; the others go through view_ and are added.
  pools_[0]->backward({pooled_[0].get()}, {true}, bottom);
  for (int i = 1; i < levels_; ++i) {
    pools_[i]->backward({pooled_[i].get()}, {true}, {&view_});
    gpu::for_each_index("spp_accumulate", bottom[0]->count(),
                        gpu::Accumulate{view_.gpu_diff(), bottom[0]->mutable_gpu_diff()});
  }
}

}  // namespace cortado
