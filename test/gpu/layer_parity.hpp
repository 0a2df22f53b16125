#pragma once
// The layer test table on both backends: one layer built twice from the same
// LayerParameter, one on the CPU and one on the GPU (same parameters, same
// inputs), forward and backward compared element by element, then the GPU one
// gradient-checked numerically. Skips (with a warning) where there is no device.
#include <string>
#include <utility>
#include <vector>

#include "caffe.pb.h"
#include "support/gradient_checker.hpp"

namespace cortado::test {

struct LayerCase {
  std::string layer;                      // LayerParameter as prototxt text
  std::vector<std::vector<int>> bottoms;  // bottom shapes
  // Bottoms filled with integer labels in [0, label_classes) instead of noise;
  // they get no gradient.
  std::vector<int> label_bottoms;
  int label_classes = 10;
  // Bottoms given these values (by index) instead of noise, e.g. a recurrent layer's
  // sequence indicators, whose pattern the case chooses; like labels, no gradient.
  std::vector<std::pair<int, std::vector<float>>> fixed_bottoms;
  // When lo < hi, the other bottoms are uniform in [lo, hi) instead of N(0, 1)
  // (layers defined only on part of the line: Log, Power with a fractional power).
  float uniform_lo = 0.f, uniform_hi = 0.f;
  // When lo < hi, the layer's blobs are refilled uniform in [lo, hi) before both
  // layers run (blobs a filler cannot set, such as BatchNorm's running statistics).
  float blob_uniform_lo = 0.f, blob_uniform_hi = 0.f;
  // When > 0, the other bottoms are distinct values this far apart, shuffled, so that
  // a numeric step never changes which element is a window's maximum (max pooling).
  float distinct_spacing = 0.f;
  caffe::Phase phase = caffe::TRAIN;
  float rel = 1e-4f;  // |gpu - cpu| <= rel * max(1, |cpu|)
  bool backward = true;
  bool gradient_check = true;
  GradCheck grad;  // options of the GPU layer's numeric check
};

// Records Catch2 failures; call from a TEST_CASE.
void check_layer_parity(const LayerCase& c);

}  // namespace cortado::test
