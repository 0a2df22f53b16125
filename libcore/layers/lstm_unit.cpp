#include "layers/lstm_unit.hpp"

#include <cmath>
#include <string>

#include "util/error.hpp"

namespace cortado {

namespace {

inline float sigmoid(float v) { return 1.f / (1.f + std::exp(-v)); }

}  // namespace

void lstm_unit_forward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                       float* c, float* h) {
  for (int n = 0; n < num; ++n) {
    const float* xn = x + static_cast<size_t>(n) * 4 * hidden;
    const float keep = cont[n];
    for (int d = 0; d < hidden; ++d) {
      const size_t k = static_cast<size_t>(n) * hidden + d;
      const float i = sigmoid(xn[d]);
      const float f = sigmoid(xn[hidden + d]);
      const float o = sigmoid(xn[2 * hidden + d]);
      const float g = std::tanh(xn[3 * hidden + d]);
      const float cell = (keep == 0.f ? 0.f : keep * f * c_prev[k]) + i * g;
      c[k] = cell;
      h[k] = o * std::tanh(cell);
    }
  }
}

void lstm_unit_backward(int num, int hidden, const float* c_prev, const float* x, const float* cont,
                        const float* c, const float* dc, const float* dh, float* dc_prev,
                        float* dx) {
  for (int n = 0; n < num; ++n) {
    const float* xn = x + static_cast<size_t>(n) * 4 * hidden;
    float* dxn = dx ? dx + static_cast<size_t>(n) * 4 * hidden : nullptr;
    const float keep = cont[n];
    for (int d = 0; d < hidden; ++d) {
      const size_t k = static_cast<size_t>(n) * hidden + d;
      const float i = sigmoid(xn[d]);
      const float f = sigmoid(xn[hidden + d]);
      const float o = sigmoid(xn[2 * hidden + d]);
      const float g = std::tanh(xn[3 * hidden + d]);
      const float tc = std::tanh(c[k]);
      // Everything that reaches c: its own gradient and the path through h.
      const float dcell = dc[k] + dh[k] * o * (1.f - tc * tc);
      if (dc_prev) dc_prev[k] = dcell * keep * f;
      if (dxn) {
        dxn[d] = dcell * g * i * (1.f - i);
        // keep is cont: for Caffe's 0 and 1 this is Caffe's gradient, and the exact one
        // for any other value.
        dxn[hidden + d] = keep == 0.f ? 0.f : dcell * keep * c_prev[k] * f * (1.f - f);
        dxn[2 * hidden + d] = dh[k] * tc * o * (1.f - o);
        dxn[3 * hidden + d] = dcell * i * (1.f - g * g);
      }
    }
  }
}

void LSTMUnitLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& c_prev = *bottom[0];
  const Blob& x = *bottom[1];
  const Blob& cont = *bottom[2];
  if (c_prev.num_axes() != 3 || c_prev.shape(0) != 1)
    throw Error(where(), "c_prev (bottom 0) must be 1 x N x H, got " + c_prev.shape_string());
  const int num = c_prev.shape(1);
  hidden_ = c_prev.shape(2);
  if (x.num_axes() != 3 || x.shape(0) != 1 || x.shape(1) != num || x.shape(2) != 4 * hidden_)
    throw Error(where(), "gate input X (bottom 1) must be 1 x " + std::to_string(num) + " x " +
                             std::to_string(4 * hidden_) + " (1 x N x 4H), got " +
                             x.shape_string());
  if (cont.num_axes() != 2 || cont.shape(0) != 1 || cont.shape(1) != num)
    throw Error(where(), "cont (bottom 2) must be 1 x " + std::to_string(num) + " (1 x N), got " +
                             cont.shape_string());
  top[0]->reshape(c_prev.shape());
  top[1]->reshape(c_prev.shape());
}

void LSTMUnitLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  lstm_unit_forward(bottom[0]->shape(1), hidden_, bottom[0]->data(), bottom[1]->data(),
                    bottom[2]->data(), top[0]->mutable_data(), top[1]->mutable_data());
}

void LSTMUnitLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                 const BlobVec& bottom) {
  if (propagate_down[2])
    throw Error(where(), "cannot backpropagate to the sequence indicators (cont, bottom 2)");
  if (!propagate_down[0] && !propagate_down[1]) return;
  lstm_unit_backward(bottom[0]->shape(1), hidden_, bottom[0]->data(), bottom[1]->data(),
                     bottom[2]->data(), top[0]->data(), top[0]->diff(), top[1]->diff(),
                     propagate_down[0] ? bottom[0]->mutable_diff() : nullptr,
                     propagate_down[1] ? bottom[1]->mutable_diff() : nullptr);
}

}  // namespace cortado
