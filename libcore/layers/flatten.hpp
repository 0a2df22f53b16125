#pragma once
// Flatten: merges axes [axis, end_axis] into one; the top shares the bottom's
// data and diff (no copy).
#include "layers/layer.hpp"

namespace cortado {

class FlattenLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Flatten"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
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
};

}  // namespace cortado
