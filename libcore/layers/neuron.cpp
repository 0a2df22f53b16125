#include "layers/neuron.hpp"

#include <algorithm>

#include "blob/device_memory.hpp"

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

void NeuronLayer::keep_input_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (!in_place(bottom, top)) return;
  input_copy_.reshape_like(*bottom[0]);
  device::copy_on_device(input_copy_.mutable_gpu_data(), bottom[0]->gpu_data(),
                         sizeof(float) * size_t(bottom[0]->count()));
}

const float* NeuronLayer::kept_input_gpu(const BlobVec& bottom, const BlobVec& top) const {
  return in_place(bottom, top) ? input_copy_.gpu_data() : bottom[0]->gpu_data();
}

}  // namespace cortado
