#pragma once
// Helpers shared by the neuron_* and structural_* layer tests: build a layer from
// prototxt text through the registry, fill blobs, and compare in-place runs.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "layers/registry.hpp"
#include "support/gradient_checker.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {

inline caffe::LayerParameter layer_param(const std::string& text) {
  caffe::LayerParameter p;
  parse_text_proto(text, "test layer", p);
  if (!p.has_name()) p.set_name("under_test");
  return p;
}

// Created through the registry, so the type name is tested too.
inline std::unique_ptr<Layer> make_layer(const std::string& text) {
  return create_layer(layer_param(text));
}

inline void set_values(Blob& b, const std::vector<float>& v) {
  REQUIRE(static_cast<int>(v.size()) == b.count());
  std::copy(v.begin(), v.end(), b.mutable_data());
}

inline std::vector<float> values(const Blob& b) { return {b.data(), b.data() + b.count()}; }
inline std::vector<float> diffs(const Blob& b) { return {b.diff(), b.diff() + b.count()}; }

inline void require_near(const std::vector<float>& got, const std::vector<float>& want,
                         float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got[i] == Approx(want[i]).margin(tol).epsilon(tol));
  }
}

// Runs the layer once out of place and once in place (top == bottom) on the same
// input and top gradient, and requires equal outputs and bottom gradients.
inline void check_in_place(const std::string& text, const std::vector<int>& shape,
                           unsigned seed = 7) {
  Blob x(shape), y, dy(shape);
  fill_gaussian(x, 0.f, 1.f, seed);
  fill_gaussian(dy, 0.f, 1.f, seed + 1);

  auto apart = make_layer(text);
  apart->setup({&x}, {&y});
  apart->forward({&x}, {&y});
  for (auto& p : apart->blobs()) p->set_diff(0.f);
  std::copy(dy.data(), dy.data() + dy.count(), y.mutable_diff());
  apart->backward({&y}, {true}, {&x});

  Blob z(shape);
  std::copy(x.data(), x.data() + x.count(), z.mutable_data());
  auto inplace = make_layer(text);
  inplace->setup({&z}, {&z});
  inplace->forward({&z}, {&z});
  for (auto& p : inplace->blobs()) p->set_diff(0.f);
  require_near(values(z), values(y));
  std::copy(dy.data(), dy.data() + dy.count(), z.mutable_diff());
  inplace->backward({&z}, {true}, {&z});
  require_near(diffs(z), diffs(x));
  for (size_t k = 0; k < apart->blobs().size(); ++k)
    require_near(diffs(*inplace->blobs()[k]), diffs(*apart->blobs()[k]));
}

}  // namespace cortado::test
