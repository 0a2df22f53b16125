#pragma once
// HingeLoss: the one-vs-all hinge loss of Caffe. Bottoms: scores (N x ..., dim = count(1))
// and labels (N). With t[i, c] = max(0, 1 + s[i, c]) for c != label_i and
// t[i, label_i] = max(0, 1 - s[i, label_i]): L1 (default) sum(t) / N, L2 sum(t^2) / N
// (hinge_loss_param.norm). Top: the loss, shape (). No gradient to the labels.
#include "layers/layer.hpp"

namespace cortado {

class HingeLossLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "HingeLoss"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  bool auto_top_blobs() const override { return true; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  bool is_loss() const override { return true; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/hinge_loss.cu; in graph mode a bad label goes to the error slot
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 public:
  void raise_graph_error(int code, int value) override;

 private:
  Blob first_bad_;  // the first out-of-range label's item (an int), read back in eager mode
#endif

 private:
  Blob margins_;  // t above, kept for backward
};

}  // namespace cortado
