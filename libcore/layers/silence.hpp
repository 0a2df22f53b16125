#pragma once
// Silence: swallows its bottoms (so that the Net does not report them as
// outputs); backward gives them zero gradient.
#include "layers/layer.hpp"

namespace cortado {

class SilenceLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Silence"; }
  int min_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 0; }
  void reshape(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}

 protected:
  void forward_cpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  void forward_gpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  // cuda/layers/silence.cu
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif
};

}  // namespace cortado
