#pragma once
// RNN: Caffe's simple recurrent layer over T time steps of N streams (see
// recurrent.hpp for bottoms, tops and the carried state). Per step t:
//   h_t = tanh(W_xh x_t + b_h [+ W_xh_static x_static] + W_hh (cont_t * h_{t-1}))
//   o_t = tanh(W_ho h_t + b_o)
// The top is o_1 .. o_T; exposed, the state blob is h.
// Learnable blobs, in Caffe's order: W_xh (H x input_dim), b_h (H),
// [W_xh_static (H x static_dim) with a static input], W_hh (H x H), W_ho (H x H), b_o (H).
#include <vector>

#include "layers/recurrent.hpp"

namespace cortado {

class RNNLayer : public RecurrentLayer {
 public:
  using RecurrentLayer::RecurrentLayer;
  const char* type() const override { return "RNN"; }

 protected:
  int num_state_blobs() const override { return 1; }
  std::vector<std::vector<int>> blob_shapes() const override;
  bool is_bias(int i) const override { return i == 1 || i == after_static(4); }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/rnn.cu
  CORTADO_GPU_LAYER

 private:
  // What forward leaves for backward. On the GPU backward keeps its gradients in their
  // diffs: h_t's pre-activation's and that of cont_t * h_{t-1}.
  Blob hidden_;  // T x N x H hidden states h_t
  Blob conted_;  // T x N x H: cont_t * h_{t-1}, the input of W_hh
#ifdef CORTADO_WITH_CUDA
  Blob output_grad_;  // GPU backward: the outputs' pre-activation gradient, T x N x H
#endif
};

}  // namespace cortado
