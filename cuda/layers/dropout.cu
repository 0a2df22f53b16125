// Dropout's GPU half (its CPU half is libcore/layers/dropout.cpp). TEST scales by
// the CPU's test factor. TRAIN keeps element i where a 32-bit hash of (key, i) is
// above the CPU's threshold: SplitMix64's output function over the counter
// key + (i + 1) * gamma, i.e. the i-th draw of a SplitMix64 stream seeded with key.
// The key comes from the global RNG, so a fixed seed gives a fixed mask (not the
// CPU's mask: that one is drawn element by element from the host generator).
#include "cuda/layers/elementwise.cuh"
#include "layers/dropout.hpp"
#include "layers/graph_slots.hpp"
#include "util/rng.hpp"

namespace cortado::gpu {
namespace {

__device__ inline uint32_t mask_bits(uint64_t key, int64_t i) {
  uint64_t z = key + (static_cast<uint64_t>(i) + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<uint32_t>(z >> 32);
}

// out = in * factor where the element is kept, 0 where dropped; forward and
// backward alike, so backward sees the mask forward drew.
struct DropoutMask {
  const float* in;
  float* out;
  uint64_t key;
  const uint64_t* key_dev;  // CUDA graph mode: the key written before each replay
  uint32_t drop_below;
  bool keep_all;  // ratio 0 (a draw of 0 would otherwise be dropped)
  float factor;
  __device__ void operator()(int64_t i) const {
    const bool keep = keep_all || mask_bits(key_dev ? *key_dev : key, i) > drop_below;
    out[i] = keep ? in[i] * factor : 0.f;
  }
};

struct Scale {
  const float* in;
  float* out;
  float factor;
  __device__ void operator()(int64_t i) const { out[i] = in[i] * factor; }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void DropoutLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  if (phase() != caffe::TRAIN) {
    gpu::for_each_index("dropout_test_forward", n, gpu::Scale{x, y, test_factor()});
    return;
  }
  // Graph mode: before_replay draws the key (the same draw, outside the graph).
  const uint64_t* key_dev = graph_slots_ ? graph_slots_->key : nullptr;
  if (!key_dev && !key_drawn_) mask_key_ = draw_mask_key();
  key_drawn_ = false;
  gpu::for_each_index(
      "dropout_forward", n,
      gpu::DropoutMask{x, y, mask_key_, key_dev, drop_below_, ratio_ == 0.f, train_factor()});
}

void DropoutLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  const float* dy = top[0]->gpu_diff();
  float* dx = bottom[0]->mutable_gpu_diff();
  if (phase() != caffe::TRAIN) {
    gpu::for_each_index("dropout_test_backward", n, gpu::Scale{dy, dx, test_factor()});
    return;
  }
  const uint64_t* key_dev = graph_slots_ ? graph_slots_->key : nullptr;
  gpu::for_each_index(
      "dropout_backward", n,
      gpu::DropoutMask{dy, dx, mask_key_, key_dev, drop_below_, ratio_ == 0.f, train_factor()});
}

uint64_t DropoutLayer::draw_mask_key() {
  std::mt19937& rng = global_rng();
  const uint64_t high = rng();
  return (high << 32) | rng();
}

void DropoutLayer::before_replay(uint64_t* key) {
  if (phase() != caffe::TRAIN) return;
  mask_key_ = draw_mask_key();
  *key = mask_key_;
}

void DropoutLayer::replay_not_run() { key_drawn_ = phase() == caffe::TRAIN; }

}  // namespace cortado
