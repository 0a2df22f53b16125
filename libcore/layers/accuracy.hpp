#pragma once
// Accuracy: the fraction of positions whose label is among the top_k scores
// (ties count against the label: a class scoring equal to it ranks above it).
// Bottoms: scores (classes along accuracy_param.axis, default 1) and labels.
// Tops: accuracy, shape (); optionally per-class accuracy, shape (C).
// ignore_label positions are skipped. There is no backward.
#include "layers/layer.hpp"

namespace cortado {

class AccuracyLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "Accuracy"; }
  int exact_num_bottom_blobs() const override { return 2; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  // In graph mode a bad label goes to an error slot, raised after the replay.
  bool graph_safe() const override { return true; }
  void raise_graph_error(int code, int value) override;

 protected:
  // cuda/layers/accuracy.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;

 private:
  // Device counters (ints in float slots): hits, counted positions, the first bad
  // label's position, then hits and positions per class.
  Blob counters_;
#endif

 private:
  int top_k_ = 1;
  bool has_ignore_label_ = false;
  int ignore_label_ = 0;
  int outer_ = 1, classes_ = 1, inner_ = 1;
  std::vector<int> class_counts_;  // labelled positions per class
};

}  // namespace cortado
