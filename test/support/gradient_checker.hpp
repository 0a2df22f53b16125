#pragma once
// Numeric gradient checks in Caffe's habit: central differences with step 1e-2,
// relative threshold 1e-3, fixed seeds. The objective is a fixed random linear
// function of every top element, so one pass checks all tops at once.
#include <vector>

#include "layers/layer.hpp"

namespace cortado {
class Net;
}

namespace cortado::test {

struct GradCheck {
  float step = 1e-2f;
  float threshold = 1e-3f;
  unsigned seed = 1701;
  // Non-smooth layers (ReLU at 0, max pooling ties): inputs with |x - kink| < kink_range are
  // skipped.
  float kink = 0.f;
  float kink_range = -1.f;
  bool check_params = true;
  // Bottoms to check; empty means all (labels should be left out by the caller).
  std::vector<int> bottoms;
  // False: no bottom at all, only the layer's blobs (a layer whose bottoms are all
  // indices, such as Embed).
  bool check_bottoms = true;
};

// The layer must already be set up with these blobs. Records Catch2 failures.
void check_gradients(Layer& layer, const BlobVec& bottom, const BlobVec& top,
                     const GradCheck& opts = {});

// The same check for a whole net: the loss's gradient with respect to every learnable
// value (forward_backward) against central differences of net.forward(), step 1e-2,
// threshold 1e-3 relative (to at least 1). Records Catch2 failures.
void check_net_gradients(Net& net);

// Deterministic random fills for test inputs.
void fill_gaussian(Blob& b, float mean, float stddev, unsigned seed);
void fill_uniform(Blob& b, float lo, float hi, unsigned seed);

}  // namespace cortado::test
