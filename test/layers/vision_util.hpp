#pragma once
// Helpers for the vision_* layer tests (Convolution, Deconvolution, Pooling, LRN,
// InnerProduct): build a layer from prototxt text through the registry, move
// values in and out of blobs, and compare.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "layers/registry.hpp"
#include "support/gradient_checker.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

namespace cortado::test::vision {

// Created through the registry, so the type name is tested too.
inline std::unique_ptr<Layer> make(const std::string& text) {
  caffe::LayerParameter p;
  parse_text_proto(text, "test layer", p);
  if (!p.has_name()) p.set_name("under_test");
  return create_layer(p);
}

inline void set(Blob& b, const std::vector<float>& v) {
  REQUIRE(static_cast<int>(v.size()) == b.count());
  std::copy(v.begin(), v.end(), b.mutable_data());
}

inline std::vector<float> data(const Blob& b) { return {b.data(), b.data() + b.count()}; }
inline std::vector<float> diff(const Blob& b) { return {b.diff(), b.diff() + b.count()}; }

// Element-wise |got - want| <= tol * max(1, |want|).
inline void require_close(const std::vector<float>& got, const std::vector<float>& want,
                          float tol = 1e-4f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    REQUIRE(got[i] == Approx(want[i]).margin(tol).epsilon(tol));
  }
}

// Expects `f` to throw cortado::Error whose message contains `part`.
template <class F>
void require_error(F f, const std::string& part) {
  try {
    f();
  } catch (const Error& e) {
    INFO("message: " << e.what());
    REQUIRE(std::string(e.what()).find(part) != std::string::npos);
    return;
  }
  FAIL("no cortado::Error thrown (expected one mentioning '" << part << "')");
}

}  // namespace cortado::test::vision
