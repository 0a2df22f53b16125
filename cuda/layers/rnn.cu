// RNN's GPU half (its CPU half is libcore/layers/rnn.cpp): the CPU's loop over time
// with device work. The input side of all T steps is one product before the loop
// (RecurrentLayer::project_inputs_gpu), the outputs one product after it; each step is
// the recurrent product and one kernel (tanh, and the next step's input
// cont_{t+1} * h_t). Backward walks back the same way, one kernel and one product a
// step, keeping h_t's pre-activation gradient in hidden_'s diff (where the outputs'
// share of it is first written) and that of cont_t * h_{t-1} in conted_'s.
#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/elementwise.cuh"
#include "cuda/math/gemm.hpp"
#include "layers/rnn.hpp"

namespace cortado::gpu {
namespace {

// Step t's hidden state: h = tanh(h) in place, and, unless last, the next step's
// recurrent input h_next_in = cont_next * h.
struct RnnStep {
  float* h;
  const float* cont_next;
  float* h_next_in;
  int64_t hidden;
  __device__ void operator()(int64_t k) const {
    const float v = tanhf(h[k]);
    h[k] = v;
    if (h_next_in) h_next_in[k] = cont_next[k / hidden] * v;
  }
};

// o = tanh(o + b_o).
struct RnnOutput {
  float* o;
  const float* bias;
  int64_t hidden;
  __device__ void operator()(int64_t k) const { o[k] = tanhf(o[k] + bias[k % hidden]); }
};

// The outputs' pre-activation gradient: do * (1 - o^2).
struct TanhGrad {
  const float* o;
  const float* dout;
  float* dz;
  __device__ void operator()(int64_t k) const { dz[k] = dout[k] * (1.f - o[k] * o[k]); }
};

// Step t backward, in place: dp holds the outputs' share of h_t's gradient and becomes
// that of h_t's pre-activation, the next step's share (cont_next * dh_next_in) added
// unless this is the last step.
struct RnnStepBackward {
  float* dp;
  const float* h;
  const float* cont_next;
  const float* dh_next_in;
  int64_t hidden;
  __device__ void operator()(int64_t k) const {
    const float g = dh_next_in ? cont_next[k / hidden] * dh_next_in[k] + dp[k] : dp[k];
    dp[k] = g * (1.f - h[k] * h[k]);
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void RNNLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const size_t step = static_cast<size_t>(N_) * H_;
  const int TN = T_ * N_;
  hidden_.reshape({T_, N_, H_});
  conted_.reshape({T_, N_, H_});
  float* hs = hidden_.mutable_gpu_data();
  float* conted = conted_.mutable_gpu_data();
  const float* cont = bottom[1]->gpu_data();

  project_inputs_gpu(bottom, H_, hs);
  load_initial_state_gpu(bottom, conted);
  const float* w_hh = blobs_[after_static(2)]->gpu_data();
  for (int t = 0; t < T_; ++t) {
    float* h = hs + t * step;
    gpu::gemm(Trans::no, Trans::yes, N_, H_, H_, 1.f, conted + t * step, w_hh, 1.f, h);
    const bool last = t == T_ - 1;
    gpu::for_each_index("rnn_step", step,
                        gpu::RnnStep{h, last ? nullptr : cont + (t + 1) * N_,
                                     last ? nullptr : conted + (t + 1) * step, H_});
  }
  float* o = top[0]->mutable_gpu_data();
  gpu::gemm(Trans::no, Trans::yes, TN, H_, H_, 1.f, hs, blobs_[after_static(3)]->gpu_data(), 0.f,
            o);
  gpu::for_each_index("rnn_output", int64_t{TN} * H_,
                      gpu::RnnOutput{o, blobs_[after_static(4)]->gpu_data(), H_});
  store_final_state_gpu(0, hs + (T_ - 1) * step, top);
}

void RNNLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
  check_cont_backward(propagate_down);
  const size_t step = static_cast<size_t>(N_) * H_;
  const int TN = T_ * N_;
  const int hh = after_static(2), ho = after_static(3), bo = after_static(4);
  const float* cont = bottom[1]->gpu_data();
  const float* hs = hidden_.gpu_data();
  float* dpre = hidden_.mutable_gpu_diff();
  float* dconted = conted_.mutable_gpu_diff();

  // Output side: dz_o = do * (1 - o^2); h's gradient from the outputs = dz_o W_ho.
  output_grad_.reshape({T_, N_, H_});
  float* dzo = output_grad_.mutable_gpu_data();
  gpu::for_each_index("rnn_output_grad", int64_t{TN} * H_,
                      gpu::TanhGrad{top[0]->gpu_data(), top[0]->gpu_diff(), dzo});
  if (param_propagate_down(ho))
    gpu::gemm(Trans::yes, Trans::no, H_, H_, TN, 1.f, dzo, hs, 1.f, blobs_[ho]->mutable_gpu_diff());
  if (param_propagate_down(bo)) gpu::bias_grad(TN, H_, 1, dzo, blobs_[bo]->mutable_gpu_diff());
  gpu::gemm(Trans::no, Trans::no, TN, H_, H_, 1.f, dzo, blobs_[ho]->gpu_data(), 0.f, dpre);

  // Through time (the last step gets nothing from later ones).
  const float* w_hh = blobs_[hh]->gpu_data();
  for (int t = T_ - 1; t >= 0; --t) {
    const bool last = t == T_ - 1;
    float* dp = dpre + t * step;
    gpu::for_each_index(
        "rnn_step_backward", step,
        gpu::RnnStepBackward{dp, hs + t * step, last ? nullptr : cont + (t + 1) * N_,
                             last ? nullptr : dconted + (t + 1) * step, H_});
    // The gradient of cont_t * h_{t-1}, for step t - 1 (none before the first step).
    if (t > 0) gpu::gemm(Trans::no, Trans::no, N_, H_, H_, 1.f, dp, w_hh, 0.f, dconted + t * step);
  }
  zero_state_diffs_gpu(propagate_down, bottom);
  project_inputs_backward_gpu(dpre, H_, conted_.gpu_data(), propagate_down, bottom);
}

}  // namespace cortado
