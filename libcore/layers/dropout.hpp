#pragma once
// Dropout: in TRAIN each input is zeroed with probability dropout_ratio and the
// survivors scaled by 1 / (1 - ratio); TEST is the identity. With scale_train
// false the scaling moves to TEST (y = x * (1 - ratio)). The mask is drawn from
// the seeded global RNG (util/rng.hpp), so a fixed seed gives a fixed mask.
#include <cstdint>

#include "layers/neuron.hpp"

namespace cortado {

class DropoutLayer : public NeuronLayer {
 public:
  using NeuronLayer::NeuronLayer;
  const char* type() const override { return "Dropout"; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;
#ifdef CORTADO_WITH_CUDA
 public:
  bool has_gpu_kernels() const override { return true; }
  // In graph mode the key is drawn before each replay and read from the device.
  bool graph_safe() const override { return true; }
  void before_replay(uint64_t* key) override;
  void replay_not_run() override;

 protected:
  // cuda/layers/dropout.cu
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                    const BlobVec& bottom) override;

 private:
  // TRAIN on the GPU: the mask is a hash of this key (drawn from the global RNG at
  // each forward) and the element's index, so backward recomputes it, no mask stored.
  uint64_t mask_key_ = 0;
  bool key_drawn_ = false;  // the next eager forward takes mask_key_ as it is
  uint64_t draw_mask_key();
#endif

 private:
  // The factor applied to kept values (train) or to all values (test).
  float train_factor() const { return scale_train_ ? scale_ : 1.f; }
  float test_factor() const { return scale_train_ ? 1.f : 1.f / scale_; }
  float ratio_ = 0.5f;
  float scale_ = 2.f;  // 1 / (1 - ratio)
  bool scale_train_ = true;
  uint32_t drop_below_ = 0;  // a draw <= this drops the element
  std::vector<uint8_t> mask_;
};

}  // namespace cortado
