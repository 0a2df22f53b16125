// Tile's GPU half (its CPU half is libcore/layers/tile.cpp).
#include "cuda/layers/elementwise.cuh"
#include "layers/tile.hpp"

namespace cortado::gpu {
namespace {

// Top element i is element i % inner of block i / (tiles * inner).
struct TileForward {
  const float* x;
  float* y;
  int64_t inner, tiles;
  __device__ void operator()(int64_t i) const { y[i] = x[i / (tiles * inner) * inner + i % inner]; }
};

// Bottom element j sums its tiles' copies.
struct TileBackward {
  const float* dy;
  float* dx;
  int64_t inner, tiles;
  __device__ void operator()(int64_t j) const {
    const float* src = dy + j / inner * tiles * inner + j % inner;
    float acc = 0.f;
    for (int64_t t = 0; t < tiles; ++t) acc += src[t * inner];
    dx[j] = acc;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void TileLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::for_each_index(
      "tile_forward", top[0]->count(),
      gpu::TileForward{bottom[0]->gpu_data(), top[0]->mutable_gpu_data(), inner_, tiles_});
}

void TileLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  gpu::for_each_index(
      "tile_backward", bottom[0]->count(),
      gpu::TileBackward{top[0]->gpu_diff(), bottom[0]->mutable_gpu_diff(), inner_, tiles_});
}

}  // namespace cortado
