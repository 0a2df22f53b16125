#pragma once
// BatchNorm: normalises each channel (axis 1) to zero mean and unit variance,
// y = (x - mean) / sqrt(var + eps); with no scale or shift (a Scale layer follows).
// Three blobs, as in Caffe's caffemodels: running mean sum, running variance sum,
// and their common weight; the running statistics are blob / weight. In TRAIN
// (use_global_stats false) the batch's statistics are used and folded into the
// running sums with moving_average_fraction; in TEST the running statistics are used.
#include "layers/layer.hpp"

namespace cortado {

class BatchNormLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "BatchNorm"; }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
  // cuda/layers/batch_norm.cu
  CORTADO_GPU_LAYER
#ifdef CORTADO_WITH_CUDA
 private:
  // Per channel, on the device: row 0 the mean, row 1 the standard deviation
  // (of the last forward); rows 2 and 3 backward's means of dy and of dy * y.
  Blob stats_gpu_;
#endif

 private:
  struct Dims {
    int num, channels, spatial;
  };
  Dims dims(const Blob& b) const;
  void batch_statistics(const float* x, const Dims& d);
  void update_running_statistics(const Dims& d);
  void force_zero_lr();

  bool use_global_stats_ = false;
  float moving_average_fraction_ = 0.999f;
  float eps_ = 1e-5f;
  int channels_ = 0;
  std::vector<float> mean_, stddev_;  // per channel, of the last forward
  Blob x_norm_;  // data: the last output, kept for backward; diff: scratch when in place
};

}  // namespace cortado
