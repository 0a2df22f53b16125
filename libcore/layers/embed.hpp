#pragma once
// Embed: a lookup table. Each bottom value is an integer index in [0, input_dim);
// its top row is row `index` of the weight (input_dim x num_output) plus the bias
// (num_output). Top shape: the bottom's shape with num_output appended. The indices
// get no gradient, only the weight rows they picked and the bias do.
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class EmbedLayer : public Layer {
 public:
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  const char* type() const override { return "Embed"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_force_backward(int /*bottom_index*/) const override { return false; }

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
  // cuda/layers/embed.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;

 private:
  Blob bad_index_;  // eager mode: the first bad index's position + 1 and value (ints)
#endif

 private:
  // The bottom value at `i` as a row index; anything else is an Error.
  int index_at(const Blob& bottom, int i) const;
  [[noreturn]] void raise_bad_index(float v, int i) const;

  int input_dim_ = 0, num_output_ = 0;
  bool bias_term_ = true;
};

}  // namespace cortado
