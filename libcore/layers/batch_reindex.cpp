#include "layers/batch_reindex.hpp"

#include <algorithm>
#include <sstream>

#include "util/error.hpp"

namespace cortado {

void BatchReindexLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() < 1)
    throw Error(where(), "the data (bottom 0) needs a batch axis; its shape is " +
                             bottom[0]->shape_string());
  if (bottom[1]->num_axes() != 1)
    throw Error(where(), "the indices (bottom 1) must have exactly 1 axis; their shape is " +
                             bottom[1]->shape_string());
  std::vector<int> shape = bottom[0]->shape();
  shape[0] = bottom[1]->shape(0);
  top[0]->reshape(shape);
}

int BatchReindexLayer::item_at(const Blob& permut, int k, int items) const {
  const float v = permut.data()[k];
  // Written so that NaN fails too. Caffe truncates fractions; an index of 1.5 is
  // more likely a bug upstream than a wish for item 1.
  if (v >= 0.f && v < static_cast<float>(items) && static_cast<float>(static_cast<int>(v)) == v)
    return static_cast<int>(v);
  raise_bad_index(v, k, items);
}

void BatchReindexLayer::raise_bad_index(float v, int k, int items) const {
  std::ostringstream s;
  s << "index " << v << " at position " << k << " is not an integer in [0, " << items
    << ") (the data's batch size)";
  throw Error(where(), s.str());
}

void BatchReindexLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int items = bottom[0]->shape(0), picks = bottom[1]->count();
  const long inner = bottom[0]->count(1);
  const float* x = bottom[0]->data();
  float* y = top[0]->mutable_data();
  for (int k = 0; k < picks; ++k) {
    const float* src = x + item_at(*bottom[1], k, items) * inner;
    std::copy(src, src + inner, y + k * inner);
  }
}

void BatchReindexLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  if (propagate_down[1]) throw Error(where(), "cannot backpropagate to the indices (bottom 1)");
  if (!propagate_down[0]) return;
  const int items = bottom[0]->shape(0), picks = bottom[1]->count();
  const long inner = bottom[0]->count(1);
  const float* dy = top[0]->diff();
  float* dx = bottom[0]->mutable_diff();
  // Items never picked get 0; items picked more than once sum their rows.
  std::fill(dx, dx + bottom[0]->count(), 0.f);
  for (int k = 0; k < picks; ++k) {
    float* dst = dx + item_at(*bottom[1], k, items) * inner;
    const float* src = dy + k * inner;
    for (long i = 0; i < inner; ++i) dst[i] += src[i];
  }
}

}  // namespace cortado
