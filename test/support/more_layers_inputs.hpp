#pragma once
// The inputs of testdata/nets/more_layers.prototxt and siamese_contrastive.prototxt,
// shared by the CPU net tests (test/engine) and the GPU-against-CPU tests (test/gpu).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/net.hpp"
#include "support/gradient_checker.hpp"

namespace cortado::test {

// Fills whichever of the two nets' inputs `net` has: noise for data, fixed labels,
// word indices, permutation, selector and sequence markers.
inline void fill_more_layers_inputs(Net& net) {
  for (const char* name : {"data", "pair", "seq"})
    if (net.has_blob(name)) fill_gaussian(*net.blob_by_name(name), 0.f, 1.f, 5);
  auto set = [&](const char* name, const std::vector<float>& v) {
    if (!net.has_blob(name)) return;
    Blob& b = *net.blob_by_name(name);
    if (static_cast<int>(v.size()) != b.count())
      throw std::runtime_error(std::string("size of ") + name);
    std::copy(v.begin(), v.end(), b.mutable_data());
  };
  set("sim", {1, 0, 0, 1});
  set("label", {0, 3, 1});
  set("word", {6, 0, 2, 2, 5, 1});
  set("permut", {1, 1, 0});         // row 2 of ip_e gets no gradient, row 1 twice
  set("selector", {1, 0, 0.5f});    // keeps items 0 and 2
  set("cont", {0, 0, 0, 1, 0, 1});  // item 1 restarts its sequence at step 2
  std::vector<float> h(16);         // a reward matrix: 1 on the diagonal, 0.25 off it
  for (int i = 0; i < 16; ++i) h[i] = i % 5 == 0 ? 1.f : 0.25f;
  set("H", h);
}

}  // namespace cortado::test
