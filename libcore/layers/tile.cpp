#include "layers/tile.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void TileLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.tile_param();
  if (!p.has_tiles() || p.tiles() < 1)
    throw Error(where(), "needs tile_param { tiles: N } with N >= 1");
  tiles_ = p.tiles();
}

void TileLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const int raw = param_.tile_param().axis();
  if (raw < -x.num_axes() || raw >= x.num_axes())
    throw Error(where(), "tile_param axis " + std::to_string(raw) + " is out of range for " +
                             x.shape_string());
  const int axis = x.canonical_axis(raw);
  std::vector<int> shape = x.shape();
  shape[axis] *= tiles_;
  top[0]->reshape(shape);
  outer_ = x.count(0, axis);
  inner_ = x.count(axis);
}

void TileLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  for (int o = 0; o < outer_; ++o) {
    const float* block = x + static_cast<int64_t>(o) * inner_;
    for (int t = 0; t < tiles_; ++t) y = std::copy(block, block + inner_, y);
  }
}

void TileLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  for (int o = 0; o < outer_; ++o) {
    float* block = dx + static_cast<int64_t>(o) * inner_;
    std::copy(dy, dy + inner_, block);
    dy += inner_;
    for (int t = 1; t < tiles_; ++t, dy += inner_)
      for (int i = 0; i < inner_; ++i) block[i] += dy[i];
  }
}

}  // namespace cortado
