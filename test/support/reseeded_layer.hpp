#pragma once
// A layer wrapper that re-seeds the global RNG before every forward, so that a
// random layer (Dropout) draws the same mask on every pass of the numeric gradient
// checker (Caffe's checker does the same). It runs the wrapped layer in its own mode.
#include <memory>

#include "layers/layer.hpp"
#include "util/rng.hpp"

namespace cortado::test {

class Reseeded : public Layer {
 public:
  explicit Reseeded(std::unique_ptr<Layer> inner)
      : Layer(inner->layer_param()), inner_(std::move(inner)) {}
  const char* type() const override { return inner_->type(); }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override {
    inner_->setup(bottom, top);
  }
  void reshape(const BlobVec& bottom, const BlobVec& top) override { inner_->reshape(bottom, top); }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override {
    seed_global_rng(99);
    inner_->forward(bottom, top);
  }
  void backward_cpu(const BlobVec& top, const std::vector<bool>& down,
                    const BlobVec& bottom) override {
    inner_->backward(top, down, bottom);
  }

 private:
  std::unique_ptr<Layer> inner_;
};

}  // namespace cortado::test
