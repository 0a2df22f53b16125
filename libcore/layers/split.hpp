#pragma once
// Split: hands one bottom to several tops, sharing its data (no copy); backward
// sums the tops' diffs. The Net inserts it where one blob feeds several layers.
#include "layers/layer.hpp"

namespace cortado {

class SplitLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Split"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  bool graph_safe() const override { return true; }  // device work only

 protected:
  // Forward: the tops share the bottom's data (set in reshape); nothing to do.
  void forward_gpu(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}
  // cuda/layers/split.cu
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#endif
};

}  // namespace cortado
