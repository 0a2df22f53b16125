#pragma once
// The base of elementwise layers with one bottom and one top of the same shape,
// which may run in place (top == bottom), as Caffe's NeuronLayer.
#include "layers/layer.hpp"

namespace cortado {

class NeuronLayer : public Layer {
 public:
  using Layer::Layer;
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  static bool in_place(const BlobVec& bottom, const BlobVec& top) { return bottom[0] == top[0]; }
  // Layers whose backward reads the input call this first thing in forward: in
  // place, forward overwrites the input, so a copy is kept for backward.
  void keep_input(const BlobVec& bottom, const BlobVec& top);
  // The input forward saw: the kept copy in place, bottom's data otherwise.
  const float* kept_input(const BlobVec& bottom, const BlobVec& top) const;
  // The same on the device, for forward_gpu / backward_gpu.
  void keep_input_gpu(const BlobVec& bottom, const BlobVec& top);
  const float* kept_input_gpu(const BlobVec& bottom, const BlobVec& top) const;

 private:
  Blob input_copy_;
};

}  // namespace cortado
