// LSTMUnit's GPU half (its CPU half is libcore/layers/lstm_unit.cpp), and the cell
// kernels the LSTM layer's loop over time launches (cuda/layers/lstm.cu): one thread a
// cell, each independent, so the results do not depend on the launch. Each kernel also
// takes the elementwise glue between two of the LSTM's steps (the next step's input
// cont * h, and the gradient coming back through it), so a step costs one GEMM and one
// of these; LSTMUnit alone passes nulls there.
#include <cmath>

#include "cuda/layers/elementwise.cuh"
#include "layers/lstm_unit.hpp"
#include "util/error.hpp"

namespace cortado::gpu {
namespace {

__device__ inline float sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

// The activated gates of cell (n, d): x[n][0..3][d] hold the inputs of i, f, o, g.
struct Gates {
  float i, f, o, g;
  __device__ Gates(const float* x, int64_t n, int64_t d, int64_t hidden) {
    const float* xn = x + n * 4 * hidden;
    i = sigmoid(xn[d]);
    f = sigmoid(xn[hidden + d]);
    o = sigmoid(xn[2 * hidden + d]);
    g = tanhf(xn[3 * hidden + d]);
  }
};

// Cell k = n * hidden + d; its four gate inputs are x[n][0..3][d] (i, f, o, g).
struct LstmUnitForward {
  const float* c_prev;
  const float* x;
  const float* cont;
  float* c;
  float* h;
  const float* cont_next;  // with h_next_in: the next step's cont
  float* h_next_in;        // null, or the next step's recurrent input, cont_next * h
  int64_t hidden;
  __device__ void operator()(int64_t k) const {
    const int64_t n = k / hidden, d = k % hidden;
    const float keep = cont[n];
    const auto [i, f, o, g] = Gates(x, n, d, hidden);
    // As the CPU: with cont 0, c_prev is not read (a NaN or inf there stays out).
    const float cell = (keep == 0.f ? 0.f : keep * f * c_prev[k]) + i * g;
    const float out = o * tanhf(cell);
    c[k] = cell;
    h[k] = out;
    if (h_next_in) h_next_in[k] = cont_next[n] * out;
  }
};

struct LstmUnitBackward {
  const float* c_prev;
  const float* x;
  const float* cont;
  const float* c;
  const float* dc;  // null: zeros
  const float* dh;
  const float* cont_next;   // with dh_next_in
  const float* dh_next_in;  // null, or the gradient of the next step's cont_next * h
  float* dc_prev;           // null: not wanted
  float* dx;                // null: not wanted
  int64_t hidden;
  __device__ void operator()(int64_t k) const {
    const int64_t n = k / hidden, d = k % hidden;
    const float keep = cont[n];
    const auto [i, f, o, g] = Gates(x, n, d, hidden);
    const float tc = tanhf(c[k]);
    // h's gradient: its own, plus what the next step sends back (the LSTM's loop).
    const float dhk = dh_next_in ? cont_next[n] * dh_next_in[k] + dh[k] : dh[k];
    const float dcell = (dc ? dc[k] : 0.f) + dhk * o * (1.f - tc * tc);
    if (dc_prev) dc_prev[k] = dcell * keep * f;
    if (dx) {
      float* dxn = dx + n * 4 * hidden;
      dxn[d] = dcell * g * i * (1.f - i);
      dxn[hidden + d] = keep == 0.f ? 0.f : dcell * keep * c_prev[k] * f * (1.f - f);
      dxn[2 * hidden + d] = dhk * tc * o * (1.f - o);
      dxn[3 * hidden + d] = dcell * i * (1.f - g * g);
    }
  }
};

}  // namespace

void lstm_unit_forward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                       float* c, float* h, const float* cont_next, float* h_next_in) {
  for_each_index("lstm_unit_forward", int64_t{num} * hidden,
                 LstmUnitForward{c_prev, x, cont, c, h, cont_next, h_next_in, hidden});
}

void lstm_unit_backward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                        const float* c, const float* dc, const float* dh, const float* cont_next,
                        const float* dh_next_in, float* dc_prev, float* dx) {
  for_each_index(
      "lstm_unit_backward", int64_t{num} * hidden,
      LstmUnitBackward{c_prev, x, cont, c, dc, dh, cont_next, dh_next_in, dc_prev, dx, hidden});
}

}  // namespace cortado::gpu

namespace cortado {

void LSTMUnitLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  gpu::lstm_unit_forward(bottom[0]->shape(1), hidden_, bottom[0]->gpu_data(), bottom[1]->gpu_data(),
                         bottom[2]->gpu_data(), top[0]->mutable_gpu_data(),
                         top[1]->mutable_gpu_data());
}

void LSTMUnitLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                 const BlobVec& bottom) {
  if (propagate_down[2])
    throw Error(where(), "cannot backpropagate to the sequence indicators (cont, bottom 2)");
  if (!propagate_down[0] && !propagate_down[1]) return;
  gpu::lstm_unit_backward(bottom[0]->shape(1), hidden_, bottom[0]->gpu_data(),
                          bottom[1]->gpu_data(), bottom[2]->gpu_data(), top[0]->gpu_data(),
                          top[0]->gpu_diff(), top[1]->gpu_diff(), nullptr, nullptr,
                          propagate_down[0] ? bottom[0]->mutable_gpu_diff() : nullptr,
                          propagate_down[1] ? bottom[1]->mutable_gpu_diff() : nullptr);
}

}  // namespace cortado
