// Embed's GPU half (its CPU half is libcore/layers/embed.cpp). The indices are checked
// on the device (cuda/layers/index_check.cuh): eager mode reads the first bad one back
// and throws the CPU's Error, graph mode leaves it in the error slot. The weight
// gradient is a scatter into the rows the indices pick, which may repeat: one thread a
// column, walking the items in order, gives each row the CPU's sum in the CPU's order
// with no atomics (the same bits on every run); the bias gradient rides along.
#include <cstring>

#include "cuda/layers/elementwise.cuh"
#include "cuda/layers/index_check.cuh"
#include "layers/embed.hpp"
#include "layers/graph_slots.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

// y[i][j] = w[index i][j] (+ b[j]); a bad index (an Error once read back) gives 0.
struct EmbedForward {
  const float* idx;
  const float* w;
  const float* b;  // nullptr: no bias
  float* y;
  int n, input_dim;
  __device__ void operator()(int64_t i) const {
    const int64_t item = i / n;
    const int j = static_cast<int>(i - item * n);
    const float v = idx[item];
    if (!good_index(v, input_dim)) {
      y[i] = 0.f;
      return;
    }
    const float x = w[static_cast<int64_t>(v) * n + j];
    y[i] = b ? x + b[j] : x;
  }
};

// Column j of the weight rows (dw) and of the bias (db), either nullptr to skip it.
struct EmbedBackward {
  const float* idx;
  const float* dy;
  float* dw;
  float* db;
  int m, n, input_dim;
  __device__ void operator()(int64_t j) const {
    float bias = db ? db[j] : 0.f;
    for (int i = 0; i < m; ++i) {
      const float g = dy[int64_t(i) * n + j];
      const float v = idx[i];
      if (dw && good_index(v, input_dim)) dw[static_cast<int64_t>(v) * n + j] += g;
      bias += g;
    }
    if (db) db[j] = bias;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void EmbedLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int m = bottom[0]->count();
  const float* idx = bottom[0]->gpu_data();
  bad_index_.reshape({2});
  int* found =
      graph_slots_ ? graph_slots_->error : reinterpret_cast<int*>(bad_index_.mutable_gpu_data());
  gpu::find_bad_index(m, input_dim_, idx, found);
  gpu::for_each_index(
      "embed_forward", int64_t(m) * num_output_,
      gpu::EmbedForward{idx, blobs_[0]->gpu_data(), bias_term_ ? blobs_[1]->gpu_data() : nullptr,
                        top[0]->mutable_gpu_data(), num_output_, input_dim_});
  if (graph_slots_) return;  // the solver raises a bad index after the replay
  int bad[2];
  std::memcpy(bad, bad_index_.data(), sizeof bad);
  if (bad[0] != 0) raise_bad_index(gpu::bad_index_value(bad[1]), bad[0] - 1);
}

void EmbedLayer::raise_graph_error(int code, int value) {
  raise_bad_index(gpu::bad_index_value(value), code - 1);
}

void EmbedLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (propagate_down[0]) throw Error(where(), "cannot backpropagate to the indices (bottom 0)");
  float* dw = param_propagate_down(0) ? blobs_[0]->mutable_gpu_diff() : nullptr;
  float* db = bias_term_ && param_propagate_down(1) ? blobs_[1]->mutable_gpu_diff() : nullptr;
  if (!dw && !db) return;
  gpu::for_each_index("embed_backward", num_output_,
                      gpu::EmbedBackward{bottom[0]->gpu_data(), top[0]->gpu_diff(), dw, db,
                                         bottom[0]->count(), num_output_, input_dim_});
}

}  // namespace cortado
