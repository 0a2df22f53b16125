#pragma once
// ArgMax: the indices of the top_k largest values, either along `axis` (the top
// keeps the bottom's shape with top_k at that axis; out_max_val gives the values
// instead) or, without axis, over each item's flattened values (top N x 1 x top_k,
// or N x 2 x top_k with indices then values when out_max_val). No backward.
#include "layers/layer.hpp"

namespace cortado {

class ArgMaxLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "ArgMax"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_force_backward(int /*bottom_index*/) const override { return false; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/argmax.cu
  CORTADO_GPU_LAYER

 private:
  int axis_ = -1;  // -1: over each item's flattened values
  int top_k_ = 1;
  bool out_max_val_ = false;
};

}  // namespace cortado
