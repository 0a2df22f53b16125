#include "layers/layer.hpp"

#include <algorithm>

#include "layers/graph_slots.hpp"
#include "util/error.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/graph_ops.hpp"
#endif

namespace cortado {

Layer::Layer(const caffe::LayerParameter& param) : param_(param) {}

std::string Layer::where() const { return "layer '" + param_.name() + "' (" + param_.type() + ")"; }

void Layer::setup(const BlobVec& bottom, const BlobVec& top) {
  check_blob_counts(bottom, top);
  if (!allows_in_place())
    for (const Blob* t : top)
      if (std::find(bottom.begin(), bottom.end(), t) != bottom.end())
        throw Error(where(), "cannot run in place: give its top a name of its own");
  if (is_loss() && param_.loss_weight_size() == 0) param_.add_loss_weight(1.f);
  layer_setup(bottom, top);
  reshape(bottom, top);
  set_loss_weights(top);
}

void Layer::check_blob_counts(const BlobVec& bottom, const BlobVec& top) const {
  auto fail = [&](const std::string& what) { throw Error(where(), what); };
  const int nb = static_cast<int>(bottom.size()), nt = static_cast<int>(top.size());
  if (exact_num_bottom_blobs() >= 0 && nb != exact_num_bottom_blobs())
    fail("takes " + std::to_string(exact_num_bottom_blobs()) + " bottom blob(s), got " +
         std::to_string(nb));
  if (min_bottom_blobs() >= 0 && nb < min_bottom_blobs())
    fail("takes at least " + std::to_string(min_bottom_blobs()) + " bottom blob(s), got " +
         std::to_string(nb));
  if (max_bottom_blobs() >= 0 && nb > max_bottom_blobs())
    fail("takes at most " + std::to_string(max_bottom_blobs()) + " bottom blob(s), got " +
         std::to_string(nb));
  if (exact_num_top_blobs() >= 0 && nt != exact_num_top_blobs())
    fail("produces " + std::to_string(exact_num_top_blobs()) + " top blob(s), got " +
         std::to_string(nt));
  if (min_top_blobs() >= 0 && nt < min_top_blobs())
    fail("produces at least " + std::to_string(min_top_blobs()) + " top blob(s), got " +
         std::to_string(nt));
  if (max_top_blobs() >= 0 && nt > max_top_blobs())
    fail("produces at most " + std::to_string(max_top_blobs()) + " top blob(s), got " +
         std::to_string(nt));
  if (equal_num_bottom_top_blobs() && nb != nt)
    fail("needs as many tops as bottoms, got " + std::to_string(nb) + " and " + std::to_string(nt));
}

void Layer::set_loss_weights(const BlobVec& top) {
  const int n = param_.loss_weight_size();
  if (n == 0) return;
  if (n != static_cast<int>(top.size()))
    throw Error(where(), "has " + std::to_string(n) + " loss_weight values for " +
                             std::to_string(top.size()) + " top blobs");
  for (int i = 0; i < n; ++i) {
    const float w = param_.loss_weight(i);
    if (w == 0.f) continue;
    set_loss(i, w);
    // The top's diff carries the weight, so forward's loss is dot(data, diff)
    // and backward starts from the weighted gradient.
    top[i]->set_diff(w);
  }
}

float Layer::forward(const BlobVec& bottom, const BlobVec& top) {
  reshape(bottom, top);
  if (mode_ == Mode::gpu)
    forward_gpu(bottom, top);
  else
    forward_cpu(bottom, top);
#ifdef CORTADO_WITH_CUDA
  if (mode_ == Mode::gpu && graph_slots_) {
    // Graph mode: the same sum, in the same order, on the device (no host read).
    if (sums_graph_loss(top)) return 0.f;
    int last = -1;
    for (size_t i = 0; i < top.size(); ++i)
      if (loss(static_cast<int>(i)) != 0.f) last = static_cast<int>(i);
    bool first = true;
    for (int i = 0; i <= last; ++i) {
      if (loss(i) == 0.f) continue;
      gpu::add_weighted_loss(top[i]->count(), top[i]->gpu_data(), top[i]->gpu_diff(),
                             graph_slots_->layer_loss, first, i == last, graph_slots_->loss);
      first = false;
    }
    return 0.f;
  }
#endif
  float total = 0.f;
  for (size_t i = 0; i < top.size(); ++i) {
    if (loss(static_cast<int>(i)) == 0.f) continue;
    const int n = top[i]->count();
    const float* d = top[i]->data();
    const float* w = top[i]->diff();
    for (int j = 0; j < n; ++j) total += d[j] * w[j];
  }
  return total;
}

void Layer::backward(const BlobVec& top, const std::vector<bool>& propagate_down,
                     const BlobVec& bottom) {
  if (mode_ == Mode::gpu)
    backward_gpu(top, propagate_down, bottom);
  else
    backward_cpu(top, propagate_down, bottom);
}

void Layer::raise_graph_error(int code, int value) {
  throw Error(where(), "failed on the GPU (CUDA graph error code " + std::to_string(code) +
                           ", value " + std::to_string(value) + ")");
}

void Layer::raise_bad_label(int label, int64_t position, int classes) const {
  throw Error(where(), "label " + std::to_string(label) + " at position " +
                           std::to_string(position) + " is outside [0, " + std::to_string(classes) +
                           ")");
}

float Layer::loss(int top_index) const {
  return top_index < static_cast<int>(loss_.size()) ? loss_[top_index] : 0.f;
}

void Layer::set_loss(int top_index, float weight) {
  if (static_cast<int>(loss_.size()) <= top_index) loss_.resize(top_index + 1, 0.f);
  loss_[top_index] = weight;
}

bool Layer::param_propagate_down(int i) const {
  // Unset means "yes": a layer used on its own computes all its parameter gradients;
  // the Net switches them off for frozen parameters.
  return i >= static_cast<int>(param_propagate_down_.size()) || param_propagate_down_[i];
}

void Layer::set_param_propagate_down(int i, bool value) {
  if (static_cast<int>(param_propagate_down_.size()) <= i)
    param_propagate_down_.resize(i + 1, true);
  param_propagate_down_[i] = value;
}

}  // namespace cortado
