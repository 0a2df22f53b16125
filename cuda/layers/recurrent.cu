// The GPU half of the recurrent layers' shared part (its CPU half is
// libcore/layers/recurrent.cpp): the state handed between batches, and the input side
// of every step, which the LSTM and the RNN compute alike (x and x_static enter every
// step's pre-activations through their own weights, so their products cover all T
// steps at once, outside the loop over time). Everything is queued on the context's
// stream: no host reads, so the layers can be captured in a CUDA graph.
#include "blob/device_memory.hpp"
#include "cuda/layers/channel_bias.hpp"
#include "cuda/layers/elementwise.cuh"
#include "cuda/math/gemm.hpp"
#include "cuda/solvers/gradient_ops.hpp"
#include "layers/recurrent.hpp"

namespace cortado::gpu {
namespace {

// out[n][d] = cont[n] * h[n][d]: the recurrent weight's input at the first step.
struct ContScale {
  const float* cont;
  const float* h;
  float* out;
  int64_t hidden;
  __device__ void operator()(int64_t k) const { out[k] = cont[k / hidden] * h[k]; }
};

// out[k] = the sum over t of v[t][k] (steps of `count`), in order of t.
struct SumOverTime {
  const float* v;
  float* out;
  int64_t count, steps;
  __device__ void operator()(int64_t k) const {
    float acc = 0.f;
    for (int64_t t = 0; t < steps; ++t) acc += v[t * count + k];
    out[k] = acc;
  }
};

}  // namespace
}  // namespace cortado::gpu

namespace cortado {

void RecurrentLayer::load_initial_state_gpu(const BlobVec& bottom, float* conted0) {
  auto state = [&](int k) {
    return expose_hidden_ ? bottom[state_bottom() + k]->gpu_data() : carry_[k].gpu_data();
  };
  gpu::for_each_index("recurrent_first_input", int64_t{N_} * H_,
                      gpu::ContScale{bottom[1]->gpu_data(), state(0), conted0, H_});
  for (int k = 1; k < num_state_blobs(); ++k)
    device::copy_on_device(init_[k].mutable_gpu_data(), state(k), sizeof(float) * init_[k].count());
}

void RecurrentLayer::store_final_state_gpu(int k, const float* state, const BlobVec& top) {
  float* to = expose_hidden_ ? top[1 + k]->mutable_gpu_data() : carry_[k].mutable_gpu_data();
  device::copy_on_device(to, state, sizeof(float) * N_ * H_);
}

void RecurrentLayer::zero_state_diffs_gpu(const std::vector<bool>& propagate_down,
                                          const BlobVec& bottom) const {
  for (int k = 0; k < exposed_count(); ++k) {
    Blob& b = *bottom[state_bottom() + k];
    if (propagate_down[state_bottom() + k]) gpu::set_zero(b.count(), b.mutable_gpu_diff());
  }
}

void RecurrentLayer::project_inputs_gpu(const BlobVec& bottom, int G, float* out) {
  gpu::gemm_bias(Trans::no, Trans::yes, T_ * N_, G, input_dim_, 1.f, bottom[0]->gpu_data(),
                 blobs_[0]->gpu_data(), 0.f, out, blobs_[1]->gpu_data());
  // The static term is the same at every step: one batched product adds it to each
  // step's slice (a stride of 0 shares x_static and its weight).
  if (static_input_)
    gpu::gemm_batched(Trans::no, Trans::yes, N_, G, static_dim_, 1.f, bottom[2]->gpu_data(),
                      static_dim_, 0, blobs_[2]->gpu_data(), static_dim_, 0, 1.f, out, G,
                      static_cast<long long>(N_) * G, T_);
}

void RecurrentLayer::project_inputs_backward_gpu(const float* dpre, int G, const float* conted,
                                                 const std::vector<bool>& propagate_down,
                                                 const BlobVec& bottom) {
  const int TN = T_ * N_;
  if (param_propagate_down(0))
    gpu::gemm(Trans::yes, Trans::no, G, input_dim_, TN, 1.f, dpre, bottom[0]->gpu_data(), 1.f,
              blobs_[0]->mutable_gpu_diff());
  if (param_propagate_down(1)) gpu::bias_grad(TN, G, 1, dpre, blobs_[1]->mutable_gpu_diff());
  const int rec = after_static(2);
  if (param_propagate_down(rec))
    gpu::gemm(Trans::yes, Trans::no, G, H_, TN, 1.f, dpre, conted, 1.f,
              blobs_[rec]->mutable_gpu_diff());
  if (propagate_down[0])
    gpu::gemm(Trans::no, Trans::no, TN, input_dim_, G, 1.f, dpre, blobs_[0]->gpu_data(), 0.f,
              bottom[0]->mutable_gpu_diff());
  if (static_input_ && (param_propagate_down(2) || propagate_down[2])) {
    // The static input feeds every step: its pre-activations' gradient is the sum over time.
    static_grad_.reshape({N_, G});
    float* ds = static_grad_.mutable_gpu_data();
    gpu::for_each_index("recurrent_static_grad", int64_t{N_} * G,
                        gpu::SumOverTime{dpre, ds, int64_t{N_} * G, T_});
    if (param_propagate_down(2))
      gpu::gemm(Trans::yes, Trans::no, G, static_dim_, N_, 1.f, ds, bottom[2]->gpu_data(), 1.f,
                blobs_[2]->mutable_gpu_diff());
    if (propagate_down[2])
      gpu::gemm(Trans::no, Trans::no, N_, static_dim_, G, 1.f, ds, blobs_[2]->gpu_data(), 0.f,
                bottom[2]->mutable_gpu_diff());
  }
}

}  // namespace cortado
