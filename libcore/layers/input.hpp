#pragma once
// Input: tops whose shapes come from input_param.shape (one shape for every top,
// or one per top) and whose values the caller writes (deploy nets, tools).
#include "layers/layer.hpp"

namespace cortado {

class InputLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Input"; }
  int exact_num_bottom_blobs() const override { return 0; }
  int min_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  // The caller may reshape the tops itself; forward keeps their shapes.
  void reshape(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}

 protected:
  void forward_cpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  void backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}
};

}  // namespace cortado
