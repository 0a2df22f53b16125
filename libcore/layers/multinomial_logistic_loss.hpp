#pragma once
// MultinomialLogisticLoss: -sum_i log(max(p[i, label_i], 1e-20)) / N for bottoms
// probabilities (N x dim, dim = count(1), e.g. a Softmax's output) and labels (N).
// The floor keeps a zero probability finite. Top: the loss, shape (). No gradient
// to the labels.
#include "layers/layer.hpp"

namespace cortado {

class MultinomialLogisticLossLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "MultinomialLogisticLoss"; }
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
  // cuda/layers/multinomial_logistic_loss.cu; in graph mode a bad label goes to the error slot
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 public:
  void raise_graph_error(int code, int value) override;

 private:
  Blob first_bad_;   // the first out-of-range label's item (an int), read back in eager mode
  int classes_ = 0;  // count(1) of the probabilities at the last GPU forward
#endif

 private:
  // The label of item i as a class index; an out-of-range label is an Error.
  int label_at(const BlobVec& bottom, int i) const;
};

}  // namespace cortado
