#include "layers/rnn.hpp"

#include <algorithm>
#include <cmath>

#include "math/gemm.hpp"

namespace cortado {

std::vector<std::vector<int>> RNNLayer::blob_shapes() const {
  std::vector<std::vector<int>> s{{H_, input_dim_}, {H_}};
  if (static_input_) s.push_back({H_, static_dim_});
  s.push_back({H_, H_});  // W_hh
  s.push_back({H_, H_});  // W_ho
  s.push_back({H_});      // b_o
  return s;
}

void RNNLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const size_t step = static_cast<size_t>(N_) * H_;
  const int TN = T_ * N_;
  hidden_.reshape({T_, N_, H_});
  conted_.reshape({T_, N_, H_});
  load_initial_state(bottom);
  const float* cont = bottom[1]->data();
  float* hs = hidden_.mutable_data();
  float* conted = conted_.mutable_data();

  // Input transform of every step at once: hidden = x W_xh^T + b_h (tanh comes later).
  gemm(Trans::no, Trans::yes, TN, H_, input_dim_, 1.f, bottom[0]->data(), blobs_[0]->data(), 0.f,
       hs);
  const float* b_h = blobs_[1]->data();
  for (int r = 0; r < TN; ++r)
    for (int j = 0; j < H_; ++j) hs[static_cast<size_t>(r) * H_ + j] += b_h[j];
  if (static_input_) {
    std::vector<float> s(step);
    gemm(Trans::no, Trans::yes, N_, H_, static_dim_, 1.f, bottom[2]->data(), blobs_[2]->data(), 0.f,
         s.data());
    for (int t = 0; t < T_; ++t)
      for (size_t k = 0; k < step; ++k) hs[t * step + k] += s[k];
  }
  const float* w_hh = blobs_[after_static(2)]->data();
  for (int t = 0; t < T_; ++t) {
    const float* h_prev = t == 0 ? init_[0].data() : hs + (t - 1) * step;
    const float* cont_t = cont + static_cast<size_t>(t) * N_;
    float* hc = conted + t * step;
    for (int n = 0; n < N_; ++n)
      for (int d = 0; d < H_; ++d) hc[n * H_ + d] = cont_t[n] * h_prev[n * H_ + d];
    float* h = hs + t * step;
    gemm(Trans::no, Trans::yes, N_, H_, H_, 1.f, hc, w_hh, 1.f, h);
    for (size_t k = 0; k < step; ++k) h[k] = std::tanh(h[k]);
  }
  // Output: o = tanh(h W_ho^T + b_o), every step at once.
  float* o = top[0]->mutable_data();
  gemm(Trans::no, Trans::yes, TN, H_, H_, 1.f, hs, blobs_[after_static(3)]->data(), 0.f, o);
  const float* b_o = blobs_[after_static(4)]->data();
  for (int r = 0; r < TN; ++r)
    for (int j = 0; j < H_; ++j) {
      float& v = o[static_cast<size_t>(r) * H_ + j];
      v = std::tanh(v + b_o[j]);
    }
  store_final_state(0, hs + (T_ - 1) * step, top);
}

void RNNLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  check_cont_backward(propagate_down);
  const size_t step = static_cast<size_t>(N_) * H_;
  const int TN = T_ * N_;
  const size_t total = step * T_;
  const float* cont = bottom[1]->data();
  const float* o = top[0]->data();
  const float* dtop = top[0]->diff();
  const int hh = after_static(2), ho = after_static(3), bo = after_static(4);

  // Output side: dz_o = do * (1 - o^2); dh (from the outputs) = dz_o W_ho.
  std::vector<float> dzo(total), dhs(total), dpre(total);
  for (size_t k = 0; k < total; ++k) dzo[k] = dtop[k] * (1.f - o[k] * o[k]);
  if (param_propagate_down(ho))
    gemm(Trans::yes, Trans::no, H_, H_, TN, 1.f, dzo.data(), hidden_.data(), 1.f,
         blobs_[ho]->mutable_diff());
  if (param_propagate_down(bo)) {
    float* db = blobs_[bo]->mutable_diff();
    for (int r = 0; r < TN; ++r)
      for (int j = 0; j < H_; ++j) db[j] += dzo[static_cast<size_t>(r) * H_ + j];
  }
  gemm(Trans::no, Trans::no, TN, H_, H_, 1.f, dzo.data(), blobs_[ho]->data(), 0.f, dhs.data());

  // Through time: dh_t collects its output's gradient and the next step's.
  const float* w_hh = blobs_[hh]->data();
  std::vector<float> dh(step, 0.f), dhc(step);
  for (int t = T_ - 1; t >= 0; --t) {
    const float* h = hidden_.data() + t * step;
    float* dp = dpre.data() + t * step;
    for (size_t k = 0; k < step; ++k) {
      const float g = dh[k] + dhs[t * step + k];
      dp[k] = g * (1.f - h[k] * h[k]);
    }
    gemm(Trans::no, Trans::no, N_, H_, H_, 1.f, dp, w_hh, 0.f, dhc.data());
    const float* cont_t = cont + static_cast<size_t>(t) * N_;
    for (int n = 0; n < N_; ++n)
      for (int d = 0; d < H_; ++d) dh[n * H_ + d] = cont_t[n] * dhc[n * H_ + d];
  }
  zero_state_diffs(propagate_down, bottom);

  if (param_propagate_down(0))
    gemm(Trans::yes, Trans::no, H_, input_dim_, TN, 1.f, dpre.data(), bottom[0]->data(), 1.f,
         blobs_[0]->mutable_diff());
  if (param_propagate_down(1)) {
    float* db = blobs_[1]->mutable_diff();
    for (int r = 0; r < TN; ++r)
      for (int j = 0; j < H_; ++j) db[j] += dpre[static_cast<size_t>(r) * H_ + j];
  }
  if (param_propagate_down(hh))
    gemm(Trans::yes, Trans::no, H_, H_, TN, 1.f, dpre.data(), conted_.data(), 1.f,
         blobs_[hh]->mutable_diff());
  if (propagate_down[0])
    gemm(Trans::no, Trans::no, TN, input_dim_, H_, 1.f, dpre.data(), blobs_[0]->data(), 0.f,
         bottom[0]->mutable_diff());
  if (static_input_ && (param_propagate_down(2) || propagate_down[2])) {
    std::vector<float> ds(step, 0.f);
    for (int t = 0; t < T_; ++t)
      for (size_t k = 0; k < step; ++k) ds[k] += dpre[t * step + k];
    if (param_propagate_down(2))
      gemm(Trans::yes, Trans::no, H_, static_dim_, N_, 1.f, ds.data(), bottom[2]->data(), 1.f,
           blobs_[2]->mutable_diff());
    if (propagate_down[2])
      gemm(Trans::no, Trans::no, N_, static_dim_, H_, 1.f, ds.data(), blobs_[2]->data(), 0.f,
           bottom[2]->mutable_diff());
  }
}

}  // namespace cortado
