// Filter's GPU half (its CPU half is libcore/layers/filter.cpp). The kept count shapes
// the tops, so the selector is read on the host as on the CPU (not graph-safe, like
// Caffe's GPU Filter); each item's place among the kept ones then goes to the device
// once a forward, and the copies both ways run there.
#include <algorithm>

#include "cuda/layers/elementwise.cuh"
#include "layers/filter.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// Item i's row goes to row rank[i] of the top; dropped items (-1) to nowhere.
struct FilterForward {
  const float* x;
  const int* rank;
  float* y;
  int64_t inner;
  __device__ void operator()(int64_t i) const {
    const int64_t item = i / inner;
    const int r = rank[item];
    if (r >= 0) y[r * inner + (i - item * inner)] = x[i];
  }
};

// Kept items take their top row's diff, dropped ones 0.
struct FilterBackward {
  const float* dy;
  const int* rank;
  float* dx;
  int64_t inner;
  __device__ void operator()(int64_t i) const {
    const int64_t item = i / inner;
    const int r = rank[item];
    dx[i] = r >= 0 ? dy[r * inner + (i - item * inner)] : 0.f;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void FilterLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  check_shapes(bottom);
  select(bottom, top);  // reads the selector on the host, shapes the tops
  const int items = bottom[num_data_]->count();
  rank_.reshape({items});
  int* rank = reinterpret_cast<int*>(rank_.mutable_data());
  std::fill(rank, rank + items, -1);  // dropped
  for (size_t k = 0; k < kept_.size(); ++k) rank[kept_[k]] = static_cast<int>(k);
  for (int j = 0; j < num_data_; ++j)
    gpu::for_each_index(
        "filter_forward", bottom[j]->count(),
        gpu::FilterForward{bottom[j]->gpu_data(), reinterpret_cast<const int*>(rank_.gpu_data()),
                           top[j]->mutable_gpu_data(), bottom[j]->count(1)});
}

void FilterLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  if (propagate_down[num_data_])
    throw Error(where(),
                "cannot backpropagate to the selector (bottom " + std::to_string(num_data_) + ")");
  for (int j = 0; j < num_data_; ++j) {
    if (!propagate_down[j]) continue;
    gpu::for_each_index(
        "filter_backward", bottom[j]->count(),
        gpu::FilterBackward{top[j]->gpu_diff(), reinterpret_cast<const int*>(rank_.gpu_data()),
                            bottom[j]->mutable_gpu_diff(), bottom[j]->count(1)});
  }
}

}  // namespace cortado
