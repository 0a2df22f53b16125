#pragma once
// LSTMUnit: one step of an LSTM cell, as Caffe's LSTMUnit layer (and the step the
// LSTM layer repeats over time).
//   bottoms: c_prev (1 x N x H), X (1 x N x 4H, gate inputs in the order i, f, o, g),
//            cont (1 x N: 0 starts a new sequence, 1 continues it)
//   tops:    c (1 x N x H), h (1 x N x H)
//   i = sigmoid(X_i), f = sigmoid(X_f), o = sigmoid(X_o), g = tanh(X_g)
//   c = cont * f * c_prev + i * g,  h = o * tanh(c)
// Backward reaches c_prev and X; cont takes no gradient (asking for one is an Error).
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

// The cell arithmetic on raw arrays, shared with LSTMLayer: `num` instances of
// `hidden` cells; x holds 4 * hidden gate inputs per instance, cont one value.
void lstm_unit_forward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                       float* c, float* h);
// dc and dh are the gradients reaching c and h; dc_prev and dx (either may be null)
// are written, not accumulated.
void lstm_unit_backward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                        const float* c, const float* dc, const float* dh, float* dc_prev,
                        float* dx);

#ifdef CORTADO_WITH_CUDA
namespace gpu {
// The same arithmetic on the device (cuda/layers/lstm_unit.cu), one kernel each way,
// shared by LSTMUnit and LSTMLayer's steps; device pointers, the context's stream.
// For the LSTM's loop each also does the elementwise work between two steps, so that
// a step is this kernel and one GEMM: forward also writes the next step's recurrent
// input, h_next_in = cont_next * h (unless null); backward takes h's gradient as
// dh + cont_next * dh_next_in (dh_next_in: the gradient of the next step's h_next_in;
// null adds nothing), and a null dc as zeros.
void lstm_unit_forward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                       float* c, float* h, const float* cont_next = nullptr,
                       float* h_next_in = nullptr);
void lstm_unit_backward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                        const float* c, const float* dc, const float* dh, const float* cont_next,
                        const float* dh_next_in, float* dc_prev, float* dx);
}  // namespace gpu
#endif

class LSTMUnitLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "LSTMUnit"; }
  bool allows_in_place() const override { return false; }
  int exact_num_bottom_blobs() const override { return 3; }
  int exact_num_top_blobs() const override { return 2; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 2; }
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/lstm_unit.cu
  CORTADO_GPU_LAYER

 private:
  int hidden_ = 0;
};

}  // namespace cortado
