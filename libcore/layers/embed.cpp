#include "layers/embed.hpp"

#include <algorithm>
#include <sstream>

#include "layers/learnable_blobs.hpp"
#include "util/error.hpp"

namespace cortado {

void EmbedLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  const auto& p = param_.embed_param();
  if (!p.has_num_output() || p.num_output() == 0)
    throw Error(where(), "num_output must be given and positive");
  if (!p.has_input_dim() || p.input_dim() == 0)
    throw Error(where(), "input_dim must be given and positive");
  num_output_ = static_cast<int>(p.num_output());
  input_dim_ = static_cast<int>(p.input_dim());
  if (num_output_ <= 0 || input_dim_ <= 0)
    throw Error(where(), "num_output and input_dim must fit in an int");
  bias_term_ = p.bias_term();
  // (input_dim, num_output), as Caffe stores it, so its caffemodels load as they are.
  const std::vector<int> wshape{input_dim_, num_output_};
  std::vector<BlobSpec> specs = {{"weight", wshape, &p.weight_filler()}};
  if (bias_term_) specs.push_back({"bias", {num_output_}, &p.bias_filler()});
  make_or_check_blobs(blobs_, specs, where());
}

void EmbedLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  std::vector<int> shape = bottom[0]->shape();
  shape.push_back(num_output_);
  top[0]->reshape(shape);
}

int EmbedLayer::index_at(const Blob& bottom, int i) const {
  const float v = bottom.data()[i];
  // Written so that NaN fails too.
  if (v >= 0.f && v < static_cast<float>(input_dim_) &&
      static_cast<float>(static_cast<int>(v)) == v)
    return static_cast<int>(v);
  raise_bad_index(v, i);
}

void EmbedLayer::raise_bad_index(float v, int i) const {
  std::ostringstream s;
  s << "index " << v << " at position " << i << " is not an integer in [0, " << input_dim_ << ")";
  throw Error(where(), s.str());
}

void EmbedLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int m = bottom[0]->count(), n = num_output_;
  const float* w = blobs_[0]->data();
  const float* b = bias_term_ ? blobs_[1]->data() : nullptr;
  float* y = top[0]->mutable_data();
  for (int i = 0; i < m; ++i) {
    const float* row = w + static_cast<long>(index_at(*bottom[0], i)) * n;
    float* dst = y + static_cast<long>(i) * n;
    if (b)
      for (int j = 0; j < n; ++j) dst[j] = row[j] + b[j];
    else
      std::copy(row, row + n, dst);
  }
}

void EmbedLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                              const BlobVec& bottom) {
  if (propagate_down[0]) throw Error(where(), "cannot backpropagate to the indices (bottom 0)");
  const int m = bottom[0]->count(), n = num_output_;
  const float* dy = top[0]->diff();
  if (param_propagate_down(0)) {
    // Rows picked more than once sum their gradients.
    float* dw = blobs_[0]->mutable_diff();
    for (int i = 0; i < m; ++i) {
      float* row = dw + static_cast<long>(index_at(*bottom[0], i)) * n;
      const float* src = dy + static_cast<long>(i) * n;
      for (int j = 0; j < n; ++j) row[j] += src[j];
    }
  }
  if (bias_term_ && param_propagate_down(1)) {
    float* db = blobs_[1]->mutable_diff();
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) db[j] += dy[static_cast<long>(i) * n + j];
  }
}

}  // namespace cortado
