#pragma once
// LSTM: Caffe's long short-term memory layer over T time steps of N streams
// (see recurrent.hpp for bottoms, tops and the carried state). Per step t:
//   gate_input_t = W_xc x_t + b_c [+ W_xc_static x_static] + W_hc (cont_t * h_{t-1})
//   c_t, h_t = LSTMUnit(c_{t-1}, gate_input_t, cont_t)     (see lstm_unit.hpp)
// The top is h_1 .. h_T; exposed, the state blobs are h then c.
// Learnable blobs, in Caffe's order: W_xc (4H x input_dim), b_c (4H),
// [W_xc_static (4H x static_dim) with a static input], W_hc (4H x H).
#include <vector>

#include "layers/recurrent.hpp"

namespace cortado {

class LSTMLayer : public RecurrentLayer {
 public:
  using RecurrentLayer::RecurrentLayer;
  const char* type() const override { return "LSTM"; }

 protected:
  int num_state_blobs() const override { return 2; }
  std::vector<std::vector<int>> blob_shapes() const override;
  bool is_bias(int i) const override { return i == 1; }
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/lstm.cu
  CORTADO_GPU_LAYER

 private:
  // What forward leaves for backward. On the GPU backward keeps its gradients in their
  // diffs: the gates', c_t's, and that of cont_t * h_{t-1}.
  Blob gates_;   // T x N x 4H gate inputs (before the nonlinearities)
  Blob cells_;   // T x N x H cell states c_t
  Blob conted_;  // T x N x H: cont_t * h_{t-1}, the input of W_hc
};

}  // namespace cortado
