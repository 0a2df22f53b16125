// ArgMax's GPU half (its CPU half is libcore/layers/argmax.cpp). ArgMax has no
// gradient and serves at deploy time, where the bottom already lives on the GPU:
// ranking there saves a round trip through the host. One thread per ranking
// selects the top_k one by one (top_k passes over its dim values: top_k is small).
#include "cuda/layers/elementwise.cuh"
#include "layers/argmax.hpp"

namespace cortado::gpu {
namespace {

// The CPU's order: descending by value, the larger index first among equal values
// (std::greater on (value, index) pairs).
__device__ inline bool ranks_before(float v, int i, float w, int k) {
  return v > w || (v == w && i > k);
}

struct ArgMaxForward {
  const float* in;
  float* out;
  int dim, stride, top_k;
  bool by_axis, out_max_val;
  __device__ void operator()(int64_t r) const {
    const int64_t outer = r / stride, in_row = r % stride;
    const float* values = in + outer * dim * stride + in_row;
    float prev_v = 0.f;
    int prev_i = -1;  // none yet
    for (int j = 0; j < top_k; ++j) {
      // The best (value, index) that ranks after the previous pick.
      float best_v = 0.f;
      int best_i = -1;
      for (int t = 0; t < dim; ++t) {
        const float v = values[int64_t{t} * stride];
        if (prev_i >= 0 && !ranks_before(prev_v, prev_i, v, t)) continue;
        if (best_i < 0 || ranks_before(v, t, best_v, best_i)) {
          best_v = v;
          best_i = t;
        }
      }
      prev_v = best_v;
      prev_i = best_i;
      const float index = static_cast<float>(best_i);
      if (by_axis) {
        out[(outer * top_k + j) * stride + in_row] = out_max_val ? best_v : index;
      } else if (out_max_val) {
        out[2 * r * top_k + j] = index;
        out[(2 * r + 1) * top_k + j] = best_v;
      } else {
        out[r * top_k + j] = index;
      }
    }
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void ArgMaxLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  // Values to rank sit `stride` apart: dim of them per ranking, `num` rankings.
  const int dim = axis_ >= 0 ? x.shape(axis_) : x.count(1);
  const int stride = axis_ >= 0 ? x.count(axis_ + 1) : 1;
  const int num = dim == 0 ? 0 : x.count() / dim;
  gpu::for_each_index("argmax_forward", num,
                      gpu::ArgMaxForward{x.gpu_data(), top[0]->mutable_gpu_data(), dim, stride,
                                         top_k_, axis_ >= 0, out_max_val_});
}

void ArgMaxLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                               const BlobVec& bottom) {
  backward_cpu(top, propagate_down, bottom);  // no gradient: an Error if one is asked for
}

}  // namespace cortado
