#include "layers/spp.hpp"

#include <algorithm>

#include "layers/pooling.hpp"
#include "util/error.hpp"

namespace cortado {

void SPPLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.spp_param();
  if (!p.has_pyramid_height() || p.pyramid_height() == 0)
    throw Error(where(), "pyramid_height must be given and at least 1");
  if (p.pool() == caffe::SPPParameter::STOCHASTIC)
    throw Error(where(), "STOCHASTIC pooling is not supported; use MAX or AVE");
  // Levels beyond 31 would need more bins than any int-sized plane has pixels, and
  // fail in reshape at the first level whose bins outnumber the pixels.
  levels_ = static_cast<int>(std::min<uint32_t>(p.pyramid_height(), 32));
  height_ = width_ = -1;
}

caffe::LayerParameter SPPLayer::level_param(int level, int height, int width) const {
  const long long bins = 1LL << level;
  int kernel[2], pad[2];
  const int size[2] = {height, width};
  for (int a = 0; a < 2; ++a) {
    const long long k = (size[a] + bins - 1) / bins;  // ceil(size / bins)
    const long long pd = (k * bins - size[a] + 1) / 2;
    // Caffe's Pooling requires pad < kernel (a CHECK there); it fails once a level has
    // about as many bins as the plane has pixels.
    if (pd >= k)
      throw Error(where(), "pyramid level " + std::to_string(level) + " (" + std::to_string(bins) +
                               "x" + std::to_string(bins) + " bins) of a " +
                               std::to_string(height) + "x" + std::to_string(width) +
                               " bottom needs pad " + std::to_string(pd) + " for kernel " +
                               std::to_string(k) +
                               ", but pooling needs pad < kernel; lower pyramid_height");
    kernel[a] = static_cast<int>(k);
    pad[a] = static_cast<int>(pd);
  }
  caffe::LayerParameter lp;
  lp.set_name(name() + "/level" + std::to_string(level));
  lp.set_type("Pooling");
  auto* pp = lp.mutable_pooling_param();
  pp->set_pool(param_.spp_param().pool() == caffe::SPPParameter::AVE
                   ? caffe::PoolingParameter::AVE
                   : caffe::PoolingParameter::MAX);
  pp->set_kernel_h(kernel[0]);
  pp->set_kernel_w(kernel[1]);
  pp->set_pad_h(pad[0]);
  pp->set_pad_w(pad[1]);
  pp->set_stride_h(kernel[0]);
  pp->set_stride_w(kernel[1]);
  return lp;
}

void SPPLayer::build_levels(const BlobVec& bottom, const BlobVec& top) {
  const int h = bottom[0]->shape(2), w = bottom[0]->shape(3);
  height_ = width_ = -1;  // stays so if a level fails: the next reshape rebuilds
  pools_.clear();
  pooled_.clear();
  for (int i = 0; i < levels_; ++i) {
    pools_.push_back(std::make_unique<PoolingLayer>(level_param(i, h, w)));
    pooled_.push_back(std::make_unique<Blob>());
    pools_[i]->setup({level_in(i, bottom)}, {level_out(i, top)});
  }
  height_ = h;
  width_ = w;
}

void SPPLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& b = *bottom[0];
  if (b.num_axes() != 4)
    throw Error(where(), "bottom must have 4 axes (N x C x H x W), got shape " + b.shape_string());
  if (b.shape(2) <= 0 || b.shape(3) <= 0)
    throw Error(where(), "bottom height and width must be positive, got shape " + b.shape_string());
  if (levels_ > 1) {
    // Re-pointed every time: the bottom's memory may have been reallocated.
    view_.reshape_like(b);
    view_.share_data(b);
  }
  if (b.shape(2) != height_ || b.shape(3) != width_) {
    build_levels(bottom, top);
  } else {
    for (int i = 0; i < levels_; ++i)
      pools_[i]->reshape({level_in(i, bottom)}, {level_out(i, top)});
  }
  if (levels_ == 1) return;
  int per_sample = 0;
  for (const auto& p : pooled_) per_sample += p->count(1);
  top[0]->reshape({b.shape(0), per_sample});
}

void SPPLayer::set_level_mode(Mode m) {
  for (auto& p : pools_) p->set_mode(m);
}

void SPPLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  set_level_mode(Mode::cpu);
  for (int i = 0; i < levels_; ++i) pools_[i]->forward({level_in(i, bottom)}, {level_out(i, top)});
  if (levels_ == 1) return;
  // Flatten and concatenate: each sample's row holds level 0's values, then level 1's...
  const int num = top[0]->shape(0), row = top[0]->shape(1);
  float* y = top[0]->mutable_data();
  int offset = 0;
  for (const auto& p : pooled_) {
    const int len = p->count(1);
    const float* src = p->data();
    for (int n = 0; n < num; ++n)
      std::copy(src + long(n) * len, src + long(n + 1) * len, y + long(n) * row + offset);
    offset += len;
  }
}

void SPPLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  set_level_mode(Mode::cpu);
  if (levels_ == 1) {
    pools_[0]->backward(top, {true}, bottom);
    return;
  }
  const int num = top[0]->shape(0), row = top[0]->shape(1);
  const float* dy = top[0]->diff();
  int offset = 0;
  for (const auto& p : pooled_) {
    const int len = p->count(1);
    float* dst = p->mutable_diff();
    for (int n = 0; n < num; ++n)
      std::copy(dy + long(n) * row + offset, dy + long(n) * row + offset + len,
                dst + long(n) * len);
    offset += len;
  }
  // Level 0 overwrites the bottom's diff; the others go through view_ and are added.
  pools_[0]->backward({pooled_[0].get()}, {true}, bottom);
  const int count = bottom[0]->count();
  for (int i = 1; i < levels_; ++i) {
    pools_[i]->backward({pooled_[i].get()}, {true}, {&view_});
    const float* d = view_.diff();
    float* dx = bottom[0]->mutable_diff();
    for (int j = 0; j < count; ++j) dx[j] += d[j];
  }
}

}  // namespace cortado
