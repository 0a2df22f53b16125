// Running a Net: forward, backward, reshape, update, and Caffe's debug_info logs.
#include <cmath>

#include "net/net.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/gradient_ops.hpp"
#include "cuda/util/side_work.hpp"
#endif

namespace cortado {
namespace {

// On the GPU, parameter gradients may still be summed on the side stream
// (cuda/util/side_work.hpp): the main stream waits for them here.
void join_side_stream(Mode mode) {
#ifdef CORTADO_WITH_CUDA
  if (mode == Mode::gpu) gpu::join_side_work();
#else
  static_cast<void>(mode);
#endif
}

}  // namespace

float Net::forward_from_to(int start, int end) {
  const int n = static_cast<int>(layers_.size());
  if (start < 0 || end >= n || start > end + 1)
    throw Error("net '" + name_ + "'", "forward range [" + std::to_string(start) + ", " +
                                           std::to_string(end) + "] is outside the " +
                                           std::to_string(n) + " layers");
  join_side_stream(mode_);  // forward overwrites what gradients being summed read
  float loss = 0.f;
  for (int i = start; i <= end; ++i) {
    loss += layers_[i]->forward(bottom_vecs_[i], top_vecs_[i]);
    if (debug_info_) forward_debug_info(i);
  }
  return loss;
}

float Net::forward() {
  return layers_.empty() ? 0.f : forward_from_to(0, static_cast<int>(layers_.size()) - 1);
}
float Net::forward_from(int start) {
  return forward_from_to(start, static_cast<int>(layers_.size()) - 1);
}
float Net::forward_to(int end) { return forward_from_to(0, end); }

void Net::backward_from_to(int start, int end) {
  const int n = static_cast<int>(layers_.size());
  if (end < 0 || start >= n)
    throw Error("net '" + name_ + "'", "backward range [" + std::to_string(start) + ", " +
                                           std::to_string(end) + "] is outside the " +
                                           std::to_string(n) + " layers");
  try {
    for (int i = start; i >= end; --i) {
      if (!layer_need_backward_[i]) continue;
      // A shared parameter: not added to on both streams at once.
      if (shares_params_[i]) join_side_stream(mode_);
      layers_[i]->backward(top_vecs_[i], bottom_need_backward_[i], bottom_vecs_[i]);
      if (debug_info_) backward_debug_info(i);
    }
  } catch (...) {
    // A caller that goes on must not race what was queued; the error in flight is the
    // one to report.
    try {
      join_side_stream(mode_);
    } catch (...) {
    }
    throw;
  }
  // Whatever follows (the update, a host read) sees finished gradients.
  join_side_stream(mode_);
}

void Net::backward_from(int start) { backward_from_to(start, 0); }
void Net::backward_to(int end) { backward_from_to(static_cast<int>(layers_.size()) - 1, end); }

void Net::backward() {
  if (layers_.empty()) return;
  backward_from_to(static_cast<int>(layers_.size()) - 1, 0);
  if (!debug_info_) return;
  double asum_data = 0, asum_diff = 0, sumsq_data = 0, sumsq_diff = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (param_owners_[i] >= 0) continue;
    asum_data += params_[i]->asum_data();
    asum_diff += params_[i]->asum_diff();
    sumsq_data += params_[i]->sumsq_data();
    sumsq_diff += params_[i]->sumsq_diff();
  }
  LOG_ERROR(
      "    [Backward] All net params (data, diff): L1 norm = ({:g}, {:g}); L2 norm = ({:g}, {:g})",
      asum_data, asum_diff, std::sqrt(sumsq_data), std::sqrt(sumsq_diff));
}

float Net::forward_backward() {
  const float loss = forward();
  backward();
  return loss;
}

void Net::reshape() {
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->reshape(bottom_vecs_[i], top_vecs_[i]);
}

void Net::update() {
  for (Blob* b : learnable_params_) b->update();
}

void Net::clear_param_diffs(void* also, size_t also_words) {
#ifdef CORTADO_WITH_CUDA
  // On the GPU the diffs are zeroed where backward will accumulate into them,
  // rather than on the host (which would copy them there and back every iteration).
  // One launch for all of them: a small net's iteration is bound by launches.
  if (mode_ == Mode::gpu) {
    std::vector<gpu::DeviceArray> diffs;
    diffs.reserve(learnable_params_.size() + 1);
    for (Blob* b : learnable_params_)
      if (b->count() > 0) diffs.push_back({b->mutable_gpu_diff(), b->count()});
    // Zero bits are 0 as a float and as an int alike.
    if (also_words > 0)
      diffs.push_back({static_cast<float*>(also), static_cast<int64_t>(also_words)});
    gpu::set_zero(diffs);
    return;
  }
#endif
  static_cast<void>(also);  // device memory: only GPU mode has it
  static_cast<void>(also_words);
  for (Blob* b : learnable_params_) b->set_diff(0.f);
}

namespace {
float mean_abs(float asum, const Blob& b) { return b.count() ? asum / b.count() : 0.f; }
}  // namespace

void Net::forward_debug_info(int layer_id) const {
  for (size_t t = 0; t < top_vecs_[layer_id].size(); ++t) {
    const Blob& b = *top_vecs_[layer_id][t];
    LOG_INFO("    [Forward] Layer {}, top blob {} data: {:g}", layer_names_[layer_id],
             blob_names_[top_id_vecs_[layer_id][t]], mean_abs(b.asum_data(), b));
  }
  const auto& blobs = layers_[layer_id]->blobs();
  for (size_t p = 0; p < blobs.size(); ++p) {
    LOG_INFO("    [Forward] Layer {}, param blob {} data: {:g}", layer_names_[layer_id],
             param_display_names_[param_id_vecs_[layer_id][p]],
             mean_abs(blobs[p]->asum_data(), *blobs[p]));
  }
}

void Net::backward_debug_info(int layer_id) const {
  for (size_t b = 0; b < bottom_vecs_[layer_id].size(); ++b) {
    if (!bottom_need_backward_[layer_id][b]) continue;
    const Blob& blob = *bottom_vecs_[layer_id][b];
    LOG_INFO("    [Backward] Layer {}, bottom blob {} diff: {:g}", layer_names_[layer_id],
             blob_names_[bottom_id_vecs_[layer_id][b]], mean_abs(blob.asum_diff(), blob));
  }
  const auto& blobs = layers_[layer_id]->blobs();
  for (size_t p = 0; p < blobs.size(); ++p) {
    if (!layers_[layer_id]->param_propagate_down(static_cast<int>(p))) continue;
    LOG_INFO("    [Backward] Layer {}, param blob {} diff: {:g}", layer_names_[layer_id], p,
             mean_abs(blobs[p]->asum_diff(), *blobs[p]));
  }
}

void Net::update_debug_info(int param_id) const {
  const Blob& b = *params_[param_id];
  const std::string& layer = layer_names_[param_layer_indices_[param_id].first];
  const int owner = param_owners_[param_id];
  if (owner < 0) {
    LOG_INFO("    [Update] Layer {}, param {} data: {:g}; diff: {:g}", layer,
             param_display_names_[param_id], mean_abs(b.asum_data(), b),
             mean_abs(b.asum_diff(), b));
  } else {
    LOG_INFO("    [Update] Layer {}, param blob {} (owned by layer {}, param {}) diff: {:g}", layer,
             param_display_names_[param_id], layer_names_[param_layer_indices_[owner].first],
             param_display_names_[owner], mean_abs(b.asum_diff(), b));
  }
}

}  // namespace cortado
