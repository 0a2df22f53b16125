#pragma once
// BatchReindex: picks, reorders or repeats items of a batch. Bottoms: data (N x ...)
// and permut (K indices into [0, N), one axis); top[k] = data[permut[k]], K x ....
// The indices take no gradient; an item picked twice sums both top gradients.
#include "layers/layer.hpp"

namespace cortado {

class BatchReindexLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "BatchReindex"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 1; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  // In graph mode a bad index goes to the error slot, raised after the replay.
  bool graph_safe() const override { return true; }
  void raise_graph_error(int code, int value) override;

 protected:
  // cuda/layers/batch_reindex.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;

 private:
  Blob bad_index_;  // eager mode: the first bad index's position + 1 and value (ints)
  int items_ = 0;   // the data's batch size at the last forward, for raise_graph_error
#endif

 private:
  // permut[k] as an item index, or an Error naming the value, k and N.
  int item_at(const Blob& permut, int k, int items) const;
  [[noreturn]] void raise_bad_index(float v, int k, int items) const;
};

}  // namespace cortado
