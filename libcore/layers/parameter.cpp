#include "layers/parameter.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace cortado {

void ParameterLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {
  // A missing shape is a scalar (no axes, one value), as in Caffe.
  Blob wanted;
  try {
    wanted.reshape(param_.parameter_param().shape());
  } catch (const Error& e) {
    throw Error(where(), std::string("parameter_param.shape: ") + e.what());
  }
  if (blobs_.empty()) {
    blobs_.push_back(std::make_shared<Blob>(wanted.shape()));
    blobs_[0]->set_data(0.f);
    return;
  }
  if (blobs_.size() != 1u)
    throw Error(where(), "expected 1 parameter blob, got " + std::to_string(blobs_.size()));
  if (blobs_[0]->shape() != wanted.shape())
    throw Error(where(), "parameter shape " + blobs_[0]->shape_string() +
                             " does not match parameter_param.shape " + wanted.shape_string());
}

void ParameterLayer::reshape(const BlobVec& /*bottom*/, const BlobVec& top) {
  top[0]->reshape(blobs_[0]->shape());
}

void ParameterLayer::forward_cpu(const BlobVec& /*bottom*/, const BlobVec& top) {
  const float* w = blobs_[0]->data();
  std::copy(w, w + blobs_[0]->count(), top[0]->mutable_data());
}

void ParameterLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& /*propagate_down*/,
                                  const BlobVec& /*bottom*/) {
  if (!param_propagate_down(0)) return;
  const int n = blobs_[0]->count();
  const float* dy = top[0]->diff();
  float* dw = blobs_[0]->mutable_diff();
  for (int i = 0; i < n; ++i) dw[i] += dy[i];
}

}  // namespace cortado
