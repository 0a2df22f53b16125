#include "layers/neuron.hpp"

#include <algorithm>

namespace cortado {

void NeuronLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (!in_place(bottom, top)) top[0]->reshape_like(*bottom[0]);
}

void NeuronLayer::keep_input(const BlobVec& bottom, const BlobVec& top) {
  if (!in_place(bottom, top)) return;
  input_copy_.reshape_like(*bottom[0]);
  const float* x = bottom[0]->data();
  std::copy(x, x + bottom[0]->count(), input_copy_.mutable_data());
}

const float* NeuronLayer::kept_input(const BlobVec& bottom, const BlobVec& top) const {
  return in_place(bottom, top) ? input_copy_.data() : bottom[0]->data();
}

}  // namespace cortado
