#include "layers/recurrent.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "layers/learnable_blobs.hpp"
#include "util/error.hpp"

namespace cortado {

void RecurrentLayer::layer_setup(const BlobVec& bottom, const BlobVec& /*top*/) {
  const auto& p = param_.recurrent_param();
  if (p.num_output() == 0) throw Error(where(), "recurrent_param.num_output must be positive");
  H_ = static_cast<int>(p.num_output());
  expose_hidden_ = p.expose_hidden();
  static_input_ = static_cast<int>(bottom.size()) > 2 + exposed_count();
  const Blob& x = *bottom[0];
  if (x.num_axes() < 3)
    throw Error(where(),
                "x (bottom 0) must have at least 3 axes (T x N x ...), got " + x.shape_string());
  input_dim_ = x.count(2);
  static_dim_ = 0;
  if (static_input_) {
    const Blob& s = *bottom[2];
    if (s.num_axes() < 1)
      throw Error(where(), "x_static (bottom 2) must have at least 1 axis (N x ...), got " +
                               s.shape_string());
    static_dim_ = s.count(1);
  }
  std::vector<BlobSpec> specs;
  for (auto& shape : blob_shapes()) {
    const bool bias = is_bias(static_cast<int>(specs.size()));
    specs.push_back(
        {bias ? "bias" : "weight", shape, bias ? &p.bias_filler() : &p.weight_filler()});
  }
  make_or_check_blobs(blobs_, specs, where());
  carry_ = std::vector<Blob>(num_state_blobs());
  init_ = std::vector<Blob>(num_state_blobs());
}

void RecurrentLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  if (x.num_axes() < 3)
    throw Error(where(),
                "x (bottom 0) must have at least 3 axes (T x N x ...), got " + x.shape_string());
  if (x.count(2) != input_dim_)
    throw Error(where(), "x (bottom 0) has shape " + x.shape_string() + ", giving " +
                             std::to_string(x.count(2)) + " inputs per step; the weights expect " +
                             std::to_string(input_dim_));
  if (x.shape(0) < 1) throw Error(where(), "x (bottom 0) has no time steps: " + x.shape_string());
  T_ = x.shape(0);
  const int old_n = N_;
  N_ = x.shape(1);
  const Blob& cont = *bottom[1];
  if (cont.num_axes() != 2 || cont.shape(0) != T_ || cont.shape(1) != N_)
    throw Error(where(), "cont (bottom 1) must be T x N = " + std::to_string(T_) + " x " +
                             std::to_string(N_) + ", got " + cont.shape_string());
  if (static_input_) {
    const Blob& s = *bottom[2];
    if (s.num_axes() < 1 || s.shape(0) != N_ || s.count(1) != static_dim_)
      throw Error(where(), "x_static (bottom 2) must be N x ... with N = " + std::to_string(N_) +
                               " and " + std::to_string(static_dim_) + " values per stream, got " +
                               s.shape_string());
  }
  const std::vector<int> state_shape{1, N_, H_};
  if (expose_hidden_)
    for (int k = 0; k < num_state_blobs(); ++k) {
      const Blob& b = *bottom[state_bottom() + k];
      if (b.shape() != state_shape)
        throw Error(where(), "initial state (bottom " + std::to_string(state_bottom() + k) +
                                 ") must be " + shape_string(state_shape) + ", got " +
                                 b.shape_string());
    }
  // A changed number of streams starts every stream afresh: a new Blob reads as
  // zeros on the host and on the device alike.
  for (auto& c : carry_)
    if (N_ != old_n || c.shape() != state_shape) c = Blob(state_shape);
  for (auto& s : init_) s.reshape(state_shape);
  top[0]->reshape({T_, N_, H_});
  for (int k = 0; k < exposed_count(); ++k) top[1 + k]->reshape(state_shape);
}

void RecurrentLayer::load_initial_state(const BlobVec& bottom) {
  for (int k = 0; k < num_state_blobs(); ++k) {
    const float* from = expose_hidden_ ? bottom[state_bottom() + k]->data() : carry_[k].data();
    std::copy(from, from + init_[k].count(), init_[k].mutable_data());
  }
}

void RecurrentLayer::store_final_state(int k, const float* state, const BlobVec& top) {
  const size_t n = static_cast<size_t>(N_) * H_;
  std::copy(state, state + n,
            expose_hidden_ ? top[1 + k]->mutable_data() : carry_[k].mutable_data());
}

void RecurrentLayer::zero_state_diffs(const std::vector<bool>& propagate_down,
                                      const BlobVec& bottom) const {
  for (int k = 0; k < exposed_count(); ++k)
    if (propagate_down[state_bottom() + k]) bottom[state_bottom() + k]->set_diff(0.f);
}

void RecurrentLayer::check_cont_backward(const std::vector<bool>& propagate_down) const {
  if (propagate_down.size() > 1 && propagate_down[1])
    throw Error(where(), "cannot backpropagate to the sequence indicators (cont, bottom 1)");
}

}  // namespace cortado
