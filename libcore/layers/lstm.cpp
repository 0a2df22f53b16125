#include "layers/lstm.hpp"

#include <algorithm>

#include "layers/lstm_unit.hpp"
#include "math/gemm.hpp"

namespace cortado {

std::vector<std::vector<int>> LSTMLayer::blob_shapes() const {
  std::vector<std::vector<int>> s{{4 * H_, input_dim_}, {4 * H_}};
  if (static_input_) s.push_back({4 * H_, static_dim_});
  s.push_back({4 * H_, H_});
  return s;
}

void LSTMLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int G = 4 * H_;
  const size_t step = static_cast<size_t>(N_) * H_, gstep = static_cast<size_t>(N_) * G;
  gates_.reshape({T_, N_, G});
  cells_.reshape({T_, N_, H_});
  conted_.reshape({T_, N_, H_});
  load_initial_state(bottom);
  const float* cont = bottom[1]->data();
  float* h = top[0]->mutable_data();
  float* gates = gates_.mutable_data();
  float* cells = cells_.mutable_data();
  float* conted = conted_.mutable_data();

  // Input transform of every step at once: gates = x W_xc^T + b_c.
  gemm(Trans::no, Trans::yes, T_ * N_, G, input_dim_, 1.f, bottom[0]->data(), blobs_[0]->data(),
       0.f, gates);
  const float* b = blobs_[1]->data();
  for (size_t r = 0; r < static_cast<size_t>(T_) * N_; ++r)
    for (int j = 0; j < G; ++j) gates[r * G + j] += b[j];
  if (static_input_) {
    std::vector<float> s(gstep);
    gemm(Trans::no, Trans::yes, N_, G, static_dim_, 1.f, bottom[2]->data(), blobs_[2]->data(), 0.f,
         s.data());
    for (int t = 0; t < T_; ++t)
      for (size_t k = 0; k < gstep; ++k) gates[t * gstep + k] += s[k];
  }
  const float* w_hc = blobs_[after_static(2)]->data();
  for (int t = 0; t < T_; ++t) {
    const float* h_prev = t == 0 ? init_[0].data() : h + (t - 1) * step;
    const float* c_prev = t == 0 ? init_[1].data() : cells + (t - 1) * step;
    const float* cont_t = cont + static_cast<size_t>(t) * N_;
    float* hc = conted + t * step;
    for (int n = 0; n < N_; ++n)
      for (int d = 0; d < H_; ++d) hc[n * H_ + d] = cont_t[n] * h_prev[n * H_ + d];
    float* g = gates + t * gstep;
    gemm(Trans::no, Trans::yes, N_, G, H_, 1.f, hc, w_hc, 1.f, g);
    lstm_unit_forward(N_, H_, c_prev, g, cont_t, cells + t * step, h + t * step);
  }
  store_final_state(0, h + (T_ - 1) * step, top);
  store_final_state(1, cells + (T_ - 1) * step, top);
}

void LSTMLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                             const BlobVec& bottom) {
  check_cont_backward(propagate_down);
  const int G = 4 * H_;
  const size_t step = static_cast<size_t>(N_) * H_, gstep = static_cast<size_t>(N_) * G;
  const float* cont = bottom[1]->data();
  const float* dtop = top[0]->diff();
  const float* w_hc = blobs_[after_static(2)]->data();
  std::vector<float> dgates(gstep * T_);
  // Gradients reaching h_t and c_t from later steps; none from the exposed final state
  // (recurrent.hpp).
  std::vector<float> dh(step, 0.f), dc(step, 0.f), dc_prev(step), dhc(step);
  const float* gates = gates_.data();
  const float* cells = cells_.data();
  for (int t = T_ - 1; t >= 0; --t) {
    for (size_t k = 0; k < step; ++k) dh[k] += dtop[t * step + k];
    const float* c_prev = t == 0 ? init_[1].data() : cells + (t - 1) * step;
    const float* cont_t = cont + static_cast<size_t>(t) * N_;
    float* dg = dgates.data() + t * gstep;
    lstm_unit_backward(N_, H_, c_prev, gates + t * gstep, cont_t, cells + t * step, dc.data(),
                       dh.data(), dc_prev.data(), dg);
    gemm(Trans::no, Trans::no, N_, H_, G, 1.f, dg, w_hc, 0.f, dhc.data());
    for (int n = 0; n < N_; ++n)
      for (int d = 0; d < H_; ++d) dh[n * H_ + d] = cont_t[n] * dhc[n * H_ + d];
    dc.swap(dc_prev);
  }
  zero_state_diffs(propagate_down, bottom);
  const int TN = T_ * N_;
  if (param_propagate_down(0))
    gemm(Trans::yes, Trans::no, G, input_dim_, TN, 1.f, dgates.data(), bottom[0]->data(), 1.f,
         blobs_[0]->mutable_diff());
  if (param_propagate_down(1)) {
    float* db = blobs_[1]->mutable_diff();
    for (int r = 0; r < TN; ++r)
      for (int j = 0; j < G; ++j) db[j] += dgates[static_cast<size_t>(r) * G + j];
  }
  const int hc_index = after_static(2);
  if (param_propagate_down(hc_index))
    gemm(Trans::yes, Trans::no, G, H_, TN, 1.f, dgates.data(), conted_.data(), 1.f,
         blobs_[hc_index]->mutable_diff());
  if (propagate_down[0])
    gemm(Trans::no, Trans::no, TN, input_dim_, G, 1.f, dgates.data(), blobs_[0]->data(), 0.f,
         bottom[0]->mutable_diff());
  if (static_input_ && (param_propagate_down(2) || propagate_down[2])) {
    // The static input feeds every step: its gate gradient is the sum over time.
    std::vector<float> ds(gstep, 0.f);
    for (int t = 0; t < T_; ++t)
      for (size_t k = 0; k < gstep; ++k) ds[k] += dgates[t * gstep + k];
    if (param_propagate_down(2))
      gemm(Trans::yes, Trans::no, G, static_dim_, N_, 1.f, ds.data(), bottom[2]->data(), 1.f,
           blobs_[2]->mutable_diff());
    if (propagate_down[2])
      gemm(Trans::no, Trans::no, N_, static_dim_, G, 1.f, ds.data(), blobs_[2]->data(), 0.f,
           bottom[2]->mutable_diff());
  }
}

}  // namespace cortado
