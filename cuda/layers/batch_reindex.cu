// BatchReindex's GPU half (its CPU half is libcore/layers/batch_reindex.cpp). The
// indices are checked on the device (cuda/layers/index_check.cuh): eager mode reads
// the first bad one back and throws the CPU's Error, graph mode leaves it in the error
// slot. Backward is a gather: each bottom element sums the top elements of the items
// that picked it, in their order, so repeated picks need no atomics and every run (and
// the CPU) adds the same values in the same order.
#include <cstring>

#include "cuda/layers/elementwise.cuh"
#include "cuda/layers/index_check.cuh"
#include "layers/batch_reindex.hpp"
#include "layers/graph_slots.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// y[k][e] = x[permut k][e]; a bad index (an Error once read back) gives 0.
struct ReindexForward {
  const float* x;
  const float* permut;
  float* y;
  int64_t inner;
  int items;
  __device__ void operator()(int64_t i) const {
    const int64_t k = i / inner;
    const float v = permut[k];
    y[i] = good_index(v, items) ? x[static_cast<int64_t>(v) * inner + (i - k * inner)] : 0.f;
  }
};

// dx[b][e] = the sum over the picks k with permut[k] == b of dy[k][e], k ascending.
struct ReindexBackward {
  const float* dy;
  const float* permut;
  float* dx;
  int64_t inner;
  int items, picks;
  __device__ void operator()(int64_t j) const {
    const int64_t b = j / inner, e = j - b * inner;
    float sum = 0.f;
    for (int k = 0; k < picks; ++k) {
      const float v = permut[k];
      if (good_index(v, items) && static_cast<int64_t>(v) == b) sum += dy[k * inner + e];
    }
    dx[j] = sum;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void BatchReindexLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  items_ = bottom[0]->shape(0);
  const float* permut = bottom[1]->gpu_data();
  bad_index_.reshape({2});
  int* found =
      graph_slots_ ? graph_slots_->error : reinterpret_cast<int*>(bad_index_.mutable_gpu_data());
  gpu::find_bad_index(bottom[1]->count(), items_, permut, found);
  gpu::for_each_index("batch_reindex_forward", top[0]->count(),
                      gpu::ReindexForward{bottom[0]->gpu_data(), permut, top[0]->mutable_gpu_data(),
                                          bottom[0]->count(1), items_});
  if (graph_slots_) return;  // the solver raises a bad index after the replay
  int bad[2];
  std::memcpy(bad, bad_index_.data(), sizeof bad);
  if (bad[0] != 0) raise_bad_index(gpu::bad_index_value(bad[1]), bad[0] - 1, items_);
}

void BatchReindexLayer::raise_graph_error(int code, int value) {
  raise_bad_index(gpu::bad_index_value(value), code - 1, items_);
}

void BatchReindexLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the indices (bottom 1)");
  if (!propagate_down[0]) return;
  gpu::for_each_index(
      "batch_reindex_backward", bottom[0]->count(),
      gpu::ReindexBackward{top[0]->gpu_diff(), bottom[1]->gpu_data(), bottom[0]->mutable_gpu_diff(),
                           bottom[0]->count(1), bottom[0]->shape(0), bottom[1]->count()});
}

}  // namespace cortado
