// LSTM's GPU half (its CPU half is libcore/layers/lstm.cpp): the CPU's loop over time
// with device work. The input side of all T steps is one product before the loop
// (RecurrentLayer::project_inputs_gpu); each step is then the recurrent product and
// one cell kernel (the LSTMUnit's, which also writes the next step's input
// cont_{t+1} * h_t), and backward walks back the same way, one cell kernel and one
// product a step, the weight gradients after it as products over all steps.
// Backward's per-step gradients stay in the diffs of forward's buffers: the gates'
// (all of them, for the weight gradients), c_t's (slot t holds what reaches c_t from
// step t + 1) and cont_t * h_{t-1}'s (slot t, for step t - 1).
#include "cuda/math/gemm.hpp"
#include "layers/lstm.hpp"
#include "layers/lstm_unit.hpp"

namespace cortado {

void LSTMLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int G = 4 * H_;
  const size_t step = static_cast<size_t>(N_) * H_, gstep = static_cast<size_t>(N_) * G;
  gates_.reshape({T_, N_, G});
  cells_.reshape({T_, N_, H_});
  conted_.reshape({T_, N_, H_});
  float* gates = gates_.mutable_gpu_data();
  float* cells = cells_.mutable_gpu_data();
  float* conted = conted_.mutable_gpu_data();
  const float* cont = bottom[1]->gpu_data();
  float* h = top[0]->mutable_gpu_data();

  project_inputs_gpu(bottom, G, gates);
  load_initial_state_gpu(bottom, conted);
  const float* c0 = init_[1].gpu_data();
  const float* w_hc = blobs_[after_static(2)]->gpu_data();
  for (int t = 0; t < T_; ++t) {
    float* g = gates + t * gstep;
    gpu::gemm(Trans::no, Trans::yes, N_, G, H_, 1.f, conted + t * step, w_hc, 1.f, g);
    const bool last = t == T_ - 1;
    gpu::lstm_unit_forward(N_, H_, t == 0 ? c0 : cells + (t - 1) * step, g, cont + t * N_,
                           cells + t * step, h + t * step, last ? nullptr : cont + (t + 1) * N_,
                           last ? nullptr : conted + (t + 1) * step);
  }
  store_final_state_gpu(0, h + (T_ - 1) * step, top);
  store_final_state_gpu(1, cells + (T_ - 1) * step, top);
}

void LSTMLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  check_cont_backward(propagate_down);
  const int G = 4 * H_;
  const size_t step = static_cast<size_t>(N_) * H_, gstep = static_cast<size_t>(N_) * G;
  const float* cont = bottom[1]->gpu_data();
  const float* dtop = top[0]->gpu_diff();
  const float* w_hc = blobs_[after_static(2)]->gpu_data();
  const float* gates = gates_.gpu_data();
  const float* cells = cells_.gpu_data();
  const float* c0 = init_[1].gpu_data();
  float* dgates = gates_.mutable_gpu_diff();
  float* dcells = cells_.mutable_gpu_diff();
  float* dconted = conted_.mutable_gpu_diff();
  // The last step gets no gradient from later ones (nor from the exposed final state:
  // recurrent.hpp), hence the nulls there.
  for (int t = T_ - 1; t >= 0; --t) {
    const bool last = t == T_ - 1;
    float* dg = dgates + t * gstep;
    gpu::lstm_unit_backward(N_, H_, t == 0 ? c0 : cells + (t - 1) * step, gates + t * gstep,
                            cont + t * N_, cells + t * step, last ? nullptr : dcells + t * step,
                            dtop + t * step, last ? nullptr : cont + (t + 1) * N_,
                            last ? nullptr : dconted + (t + 1) * step,
                            t == 0 ? nullptr : dcells + (t - 1) * step, dg);
    // The gradient of cont_t * h_{t-1}, for step t - 1 (none before the first step).
    if (t > 0) gpu::gemm(Trans::no, Trans::no, N_, H_, G, 1.f, dg, w_hc, 0.f, dconted + t * step);
  }
  zero_state_diffs_gpu(propagate_down, bottom);
  project_inputs_backward_gpu(dgates, G, conted_.gpu_data(), propagate_down, bottom);
}

}  // namespace cortado
