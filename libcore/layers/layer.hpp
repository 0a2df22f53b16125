#pragma once
// The layer contract, the whole API a layer author learns:
//   layer_setup  once, reads parameters, creates learnable blobs;
//   reshape      whenever bottom shapes may have changed, shapes the tops;
//   forward_cpu  bottoms -> tops;
//   backward_cpu top diffs -> bottom diffs (where propagate_down) and param diffs.
// GPU versions default to the CPU ones until the CUDA backend overrides them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blob/blob.hpp"
#include "caffe.pb.h"

// A layer with its own device code (cuda/layers/<layer>.cu) says so with this line
// at the end of its class: GPU forward and backward, has_gpu_kernels() and
// graph_safe() true (device work only, no host reads: a training step through it
// can be replayed from a CUDA graph). Expands to nothing in a build without CUDA.
#ifdef CORTADO_WITH_CUDA
#define CORTADO_GPU_LAYER                                                         \
 public:                                                                          \
  bool has_gpu_kernels() const override { return true; }                         \
  bool graph_safe() const override { return true; }                              \
                                                                                  \
 protected:                                                                       \
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;          \
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, \
                    const BlobVec& bottom) override;
#else
#define CORTADO_GPU_LAYER
#endif

namespace cortado {

using BlobVec = std::vector<Blob*>;
struct GraphSlots;

enum class Mode { cpu, gpu };

class Layer {
 public:
  explicit Layer(const caffe::LayerParameter& param);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Checks blob counts, runs layer_setup and reshape, sets up loss weights.
  void setup(const BlobVec& bottom, const BlobVec& top);
  virtual void layer_setup(const BlobVec& /*bottom*/, const BlobVec& /*top*/) {}
  virtual void reshape(const BlobVec& bottom, const BlobVec& top) = 0;

  // Returns the weighted loss this layer contributes (0 for non-loss layers).
  float forward(const BlobVec& bottom, const BlobVec& top);
  void backward(const BlobVec& top, const std::vector<bool>& propagate_down,
                const BlobVec& bottom);

  virtual const char* type() const = 0;
  const caffe::LayerParameter& layer_param() const { return param_; }
  const std::string& name() const { return param_.name(); }
  caffe::Phase phase() const { return param_.phase(); }
  std::vector<std::shared_ptr<Blob>>& blobs() { return blobs_; }

  // Blob-count rules, checked by setup(); -1 means "no rule".
  virtual int exact_num_bottom_blobs() const { return -1; }
  virtual int min_bottom_blobs() const { return -1; }
  virtual int max_bottom_blobs() const { return -1; }
  virtual int exact_num_top_blobs() const { return -1; }
  virtual int min_top_blobs() const { return -1; }
  virtual int max_top_blobs() const { return -1; }
  virtual bool equal_num_bottom_top_blobs() const { return false; }
  // Loss layers with one declared top get it created automatically.
  virtual bool auto_top_blobs() const { return false; }
  // Whether a bottom may be forced to receive a gradient (false for labels).
  virtual bool allow_force_backward(int /*bottom_index*/) const { return true; }
  // False for layers whose top may not also be a bottom (setup refuses it): those that
  // reshape or overwrite their top while still reading the bottom.
  virtual bool allows_in_place() const { return true; }

  float loss(int top_index) const;
  void set_loss(int top_index, float weight);
  bool param_propagate_down(int i) const;
  void set_param_propagate_down(int i, bool value);

  Mode mode() const { return mode_; }
  void set_mode(Mode m) { mode_ = m; }
  // True where forward_gpu/backward_gpu are the layer's own device code (cuda/);
  // false where they fall back to the CPU code (which copies blobs both ways).
  virtual bool has_gpu_kernels() const { return false; }
  // True where forward_gpu/backward_gpu only queue work on the context's stream: no
  // host reads or writes of blobs, no allocations once shapes are set, no host state
  // changed per call. Only such layers may be captured in a CUDA graph (the solver's
  // training step, cuda/solvers/train_graph.hpp); false is always safe.
  virtual bool graph_safe() const { return false; }
  // Graph mode (set only while the solver captures; nullptr is eager mode): forward
  // adds its loss to slots->loss on the device instead of reading it on the host,
  // and loss layers write errors to slots->error instead of throwing.
  void set_graph_slots(const GraphSlots* slots) { graph_slots_ = slots; }
  // Before each replay, outside the graph, in layer order: per-iteration inputs for
  // the device, e.g. Dropout's key, written to *key (copied to slots->key).
  virtual void before_replay(uint64_t* /*key*/) {}
  // The replay those inputs were drawn for did not run (its launch failed) and the
  // iteration runs eagerly instead: its forward uses them rather than drawing again, so
  // the draws stay those of an eager run.
  virtual void replay_not_run() {}
  // After a replay that left `code` (nonzero) and `value` in this layer's error slot:
  // throws the Error eager mode would have thrown.
  virtual void raise_graph_error(int code, int value);
  // GPU only, decided by Net::set_mode: an in-place ReLU right after this layer is
  // fused into it, saving the ReLU's passes over the data. Layers with a per-channel
  // bias pass (Convolution, Deconvolution, InnerProduct) can take it: their forward
  // applies the ReLU in that pass, their backward masks the top diff in the bias
  // gradient's pass; the ReLU layer's own GPU forward and backward do nothing.
  virtual bool can_fuse_relu_gpu() const { return false; }
  void fuse_relu_gpu(float negative_slope) { fused_relu_slope_ = negative_slope; }

 protected:
  virtual void forward_cpu(const BlobVec& bottom, const BlobVec& top) = 0;
  virtual void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) = 0;
  virtual void forward_gpu(const BlobVec& bottom, const BlobVec& top) {
    forward_cpu(bottom, top);
  }
  virtual void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) {
    backward_cpu(top, propagate_down, bottom);
  }
  // Loss layers set a default loss_weight of 1 on their first top.
  virtual bool is_loss() const { return false; }
  // Graph mode: whether forward_gpu itself adds this layer's weighted loss to
  // graph_slots_->loss (in one of its kernels, a launch less); Layer::forward then
  // queues no sum of its own.
  virtual bool sums_graph_loss(const BlobVec& /*top*/) const { return false; }

  // "layer 'conv1' (Convolution)": the prefix of every error about this layer.
  std::string where() const;
  // A label outside [0, classes) at `position` of the label blob (loss layers, Accuracy).
  [[noreturn]] void raise_bad_label(int label, int64_t position, int classes) const;

  caffe::LayerParameter param_;
  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<bool> param_propagate_down_;
  std::vector<float> loss_;
  Mode mode_ = Mode::cpu;
  const GraphSlots* graph_slots_ = nullptr;
  std::optional<float> fused_relu_slope_;  // set by fuse_relu_gpu

 private:
  void check_blob_counts(const BlobVec& bottom, const BlobVec& top) const;
  void set_loss_weights(const BlobVec& top);
};

}  // namespace cortado
