#pragma once
// Reshape: gives the bottom a new shape without copying (the top shares data and
// diff). reshape_param.shape replaces the bottom's axes [axis, axis + num_axes)
// (num_axes -1: to the end); in it 0 copies the bottom's dimension at that
// position and one -1 is inferred from the count.
#include "layers/layer.hpp"

namespace cortado {

class ReshapeLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Reshape"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  void backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // The top shares the bottom's data and diff (set in reshape), so the GPU has
  // nothing to do either: no copy, no host sync.
  void forward_gpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  void backward_gpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}
#endif

 private:
  std::vector<int> top_shape(const Blob& bottom) const;
  int inferred_axis_ = -1;    // position of the -1 in shape, if any
  std::vector<int> copy_axes_;  // positions of the 0s in shape
};

}  // namespace cortado
