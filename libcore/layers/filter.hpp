#pragma once
// Filter: keeps the batch items whose selector value is nonzero. Bottoms: k data
// blobs sharing their first dimension N, then the selector (N values: shape N or
// N x 1 x ... x 1); k tops, top j = the kept items of bottom j, in order.
// The kept count depends on the selector's values, so the tops are reshaped on every
// forward; as in Caffe, setup (before any selector values exist) shapes them with
// all N items. The selector takes no gradient; dropped items get a zero gradient.
#include "layers/layer.hpp"

namespace cortado {

class FilterLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Filter"; }
  bool allows_in_place() const override { return false; }
  int min_bottom_blobs() const override { return 2; }
  int min_top_blobs() const override { return 1; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != num_data_; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  // graph_safe() stays false: the kept count shapes the tops, so every forward reads the
  // selector on the host (as Caffe's GPU Filter does).

 protected:
  // cuda/layers/filter.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;

 private:
  Blob rank_;  // per item: its place among the kept items, or -1 (ints in float slots)
#endif

 private:
  void check_shapes(const BlobVec& bottom) const;
  // Reads the selector into kept_ and shapes each top with kept_.size() items.
  void select(const BlobVec& bottom, const BlobVec& top);

  int num_data_ = 1;          // data bottoms (= tops); the selector is bottom num_data_
  bool shaped_once_ = false;  // setup's reshape keeps all items
  std::vector<int> kept_;     // items with a nonzero selector, ascending
};

}  // namespace cortado
