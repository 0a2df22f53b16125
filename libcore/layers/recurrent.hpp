#pragma once
// The shared part of Caffe's recurrent layers (LSTM, RNN): bottoms, tops, shapes,
// the static input and the hidden state carried between time steps.
//   bottoms: x (T x N x ...), cont (T x N: 0 at the first step of a sequence, 1 to
//            continue it), optionally x_static (N x ...), then with
//            recurrent_param.expose_hidden the initial state blobs (1 x N x H each);
//   tops:    T x N x H, then with expose_hidden the final state blobs (1 x N x H).
// Without expose_hidden the initial state is the final state of the previous forward
// pass (zero before the first one, and again whenever N changes), as in Caffe: a batch
// whose first cont is 1 continues the sequences of the batch before it. No gradient
// crosses from one batch to the next, and none reaches cont (asking is an Error).
// As in Caffe, no gradient crosses the exposed state either: the final-state tops'
// diffs are ignored and the initial-state bottoms get zeros (Caffe leaves them as
// they were), so a net chaining one layer's final state into another's initial state
// trains as it does in Caffe.
// The math runs directly as loops over time with GEMMs rather than through an unrolled
// net; the learnable blobs have the shapes and the order of Caffe's unrolled net, so
// Caffe's caffemodels load unchanged.
// On the GPU (cuda/layers/recurrent.cu, lstm.cu, rnn.cu) the same loops run as device
// work only: the carried state and the forward's intermediates are Blobs, which stay
// where the last pass wrote them (the host in CPU mode, the device in GPU mode, so a
// CUDA graph replay reads and writes them there) and follow a change of mode.
#include <vector>

#include "layers/layer.hpp"

namespace cortado {

class RecurrentLayer : public Layer {
 public:
  bool allows_in_place() const override { return false; }
  using Layer::Layer;
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int min_bottom_blobs() const override { return 2 + exposed_count(); }
  int max_bottom_blobs() const override { return 3 + exposed_count(); }
  int exact_num_top_blobs() const override { return 1 + exposed_count(); }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 1; }

 protected:
  // How many state blobs the recurrence carries (LSTM: h and c; RNN: h).
  virtual int num_state_blobs() const = 0;
  // The learnable blobs' shapes in Caffe's order, for these dimensions.
  virtual std::vector<std::vector<int>> blob_shapes() const = 0;
  // Whether blob `i` is a bias (filled with bias_filler, else weight_filler).
  virtual bool is_bias(int i) const = 0;

  int exposed_count() const {
    return param_.recurrent_param().expose_hidden() ? num_state_blobs() : 0;
  }
  // The index of the first exposed-state bottom.
  int state_bottom() const { return 2 + (static_input_ ? 1 : 0); }
  // Copies the initial state k (exposed bottom, or the carried state) into init_[k].
  void load_initial_state(const BlobVec& bottom);
  // Stores the final state k: into the exposed top, or as the next forward's start.
  void store_final_state(int k, const float* state, const BlobVec& top);
  // Error for a gradient asked for cont; true if bottom `i` gets a gradient.
  void check_cont_backward(const std::vector<bool>& propagate_down) const;
  // Zeros the diffs of the exposed initial-state bottoms that propagate down.
  void zero_state_diffs(const std::vector<bool>& propagate_down, const BlobVec& bottom) const;
  // Index of the learnable blob after the static weight (shifts when there is none).
  int after_static(int i) const { return static_input_ ? i + 1 : i; }
#ifdef CORTADO_WITH_CUDA
  // cuda/layers/recurrent.cu: device pointers, work queued on the context's stream.
  // Starts a forward pass: conted0 (N x H) = cont_0 * h_0, the recurrent term's input at
  // step 0, and the other initial states (LSTM's c) copied into init_, where backward
  // reads them (the carried state is overwritten by then). h_0 itself is not kept.
  void load_initial_state_gpu(const BlobVec& bottom, float* conted0);
  void store_final_state_gpu(int k, const float* state, const BlobVec& top);
  void zero_state_diffs_gpu(const std::vector<bool>& propagate_down, const BlobVec& bottom) const;
  // out (T x N x G) = x W^T + b [+ x_static W_static^T, the same at every step]: the
  // input side of every step's pre-activations at once (blobs 0, 1 and 2).
  void project_inputs_gpu(const BlobVec& bottom, int G, float* out);
  // From dpre (T x N x G, the pre-activations' gradient): the gradients of blobs 0, 1,
  // the static weight and the recurrent weight (blob after_static(2), whose input was
  // `conted`, T x N x H), and of x and x_static.
  void project_inputs_backward_gpu(const float* dpre, int G, const float* conted,
                                   const std::vector<bool>& propagate_down, const BlobVec& bottom);
  Blob static_grad_;  // dpre summed over time, N x G (with a static input)
#endif

  int T_ = 0, N_ = 0, H_ = 0;
  int input_dim_ = 0;   // x.count(2)
  int static_dim_ = 0;  // x_static.count(1), 0 without a static input
  bool static_input_ = false;
  bool expose_hidden_ = false;
  // Initial state of this forward pass, 1 x N x H each (on the GPU all but h's, which
  // only load_initial_state_gpu reads).
  std::vector<Blob> init_;
  std::vector<Blob> carry_;  // final state of the last forward pass, 1 x N x H each
};

}  // namespace cortado
