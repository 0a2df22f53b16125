#include "layers/crop.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void CropLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const auto& p = param_.crop_param();
  const Blob& x = *bottom[0];
  const Blob& like = *bottom[1];
  const int n = x.num_axes();
  if (like.num_axes() != n)
    throw Error(where(), "bottom 1 of shape " + like.shape_string() + " needs as many axes as " +
                             "bottom 0 of shape " + x.shape_string());
  if (p.axis() < -n || p.axis() >= n)
    throw Error(where(), "axis " + std::to_string(p.axis()) +
                             " is out of range for a bottom of shape " + x.shape_string());
  const int start = p.axis() < 0 ? p.axis() + n : p.axis();
  if (p.offset_size() > 1 && p.offset_size() != n - start)
    throw Error(where(), "has " + std::to_string(p.offset_size()) + " offsets for the " +
                             std::to_string(n - start) + " cropped axes; give one or one per axis");
  std::vector<int> shape = x.shape();
  offsets_.assign(n, 0);
  for (int a = start; a < n; ++a) {
    const int off = p.offset_size() == 0   ? 0
                    : p.offset_size() == 1 ? static_cast<int>(p.offset(0))
                                           : static_cast<int>(p.offset(a - start));
    if (off < 0 || x.shape(a) - off < like.shape(a))
      throw Error(where(), "cannot crop " + std::to_string(like.shape(a)) + " at offset " +
                               std::to_string(off) + " from axis " + std::to_string(a) +
                               " of size " + std::to_string(x.shape(a)));
    shape[a] = like.shape(a);
    offsets_[a] = off;
  }
  top[0]->reshape(shape);
}

template <class F>
void CropLayer::for_each_row(const Blob& bottom, const Blob& top, F f) const {
  const int n = top.num_axes();
  if (top.count() == 0) return;
  if (n == 0) {
    f(0, 0, 1);
    return;
  }
  const int row = top.shape(n - 1);
  std::vector<int> idx(n, 0);  // index of the row in the top, last axis fixed at 0
  const int rows = top.count() / row;
  for (int r = 0; r < rows; ++r) {
    size_t src = 0, dst = 0;
    for (int a = 0; a < n; ++a) {
      src = src * bottom.shape(a) + idx[a] + offsets_[a];
      dst = dst * top.shape(a) + idx[a];
    }
    f(src, dst, row);
    for (int a = n - 2; a >= 0; --a) {  // odometer over all axes but the last
      if (++idx[a] < top.shape(a)) break;
      idx[a] = 0;
    }
  }
}

void CropLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  for_each_row(*bottom[0], *top[0],
               [&](size_t src, size_t dst, int len) { std::copy(x + src, x + src + len, y + dst); });
}

void CropLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  std::fill(dx, dx + bottom[0]->count(), 0.f);
  for_each_row(*bottom[0], *top[0], [&](size_t src, size_t dst, int len) {
    std::copy(dy + dst, dy + dst + len, dx + src);
  });
}

}  // namespace cortado
