#pragma once
// DummyData: tops filled by fillers, for tests and timing. Shapes come from
// dummy_data_param.shape (one for all tops or one per top) or the legacy
// num/channels/height/width lists. data_filler: none (constant 0), one for all
// tops, or one per top. Constant fillers fill once at setup; the others refill
// at every forward, as in Caffe.
#include "layers/layer.hpp"

namespace cortado {

class DummyDataLayer : public Layer {
 public:
  using Layer::Layer;
  const char* type() const override { return "DummyData"; }
  int exact_num_bottom_blobs() const override { return 0; }
  int min_top_blobs() const override { return 1; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& /*bottom*/, const BlobVec& /*top*/) override {}

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& /*top*/, const std::vector<bool>& /*propagate_down*/,
                    const BlobVec& /*bottom*/) override {}

 private:
  std::vector<int> top_shape(int i, int num_top) const;
  const caffe::FillerParameter& filler_for(int i) const;

  caffe::FillerParameter zero_filler_;  // used when no data_filler is given
  std::vector<bool> refill_;            // per filler: refill at every forward
};

}  // namespace cortado
