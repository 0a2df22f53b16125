#pragma once
// Helpers for the loss_* and data_* layer tests (own namespace: other test files
// of this executable define helpers with the same names).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "layers/registry.hpp"
#include "support/gradient_checker.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

namespace cortado::test::lossdata {

inline caffe::LayerParameter param_of(const std::string& text) {
  caffe::LayerParameter p;
  parse_text_proto(text, "test layer", p);
  if (!p.has_name()) p.set_name("under_test");
  return p;
}

// Through the registry, so the type names are tested too.
inline std::unique_ptr<Layer> layer_of(const std::string& text) {
  return create_layer(param_of(text));
}

inline void fill(Blob& b, const std::vector<float>& v) {
  REQUIRE(static_cast<int>(v.size()) == b.count());
  std::copy(v.begin(), v.end(), b.mutable_data());
}

inline std::vector<float> data_of(const Blob& b) { return {b.data(), b.data() + b.count()}; }
inline std::vector<float> diff_of(const Blob& b) { return {b.diff(), b.diff() + b.count()}; }

inline void expect_near(const std::vector<float>& got, const std::vector<float>& want,
                        float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).margin(tol).epsilon(tol));
  }
}

// Integer class labels in [0, classes), deterministic.
inline void fill_labels(Blob& b, int classes, unsigned seed) {
  fill_uniform(b, 0.f, static_cast<float>(classes), seed);
  float* p = b.mutable_data();
  for (int i = 0; i < b.count(); ++i) p[i] = std::min<float>(classes - 1, std::floor(p[i]));
}

inline std::string lmdb_path(const std::string& name) { return testdata("lmdb/" + name); }

}  // namespace cortado::test::lossdata
