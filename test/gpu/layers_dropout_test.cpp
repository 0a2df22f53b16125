// Dropout in TRAIN on the GPU: its mask is drawn on the device, so it cannot match
// the CPU's bit for bit. Checked instead: the kept fraction, the scale, that
// backward uses forward's mask, that a seed fixes the mask, in place, and a
// numeric gradient check under a fixed mask. (TEST-phase parity is in
// layers_neuron_test.cpp.)
#include <memory>

#include "gpu_test_util.hpp"
#include "layers/registry.hpp"
#include "support/gradient_checker.hpp"
#include "support/reseeded_layer.hpp"
#include "util/proto_io.hpp"
#include "util/rng.hpp"

namespace cortado::test {
namespace {

std::unique_ptr<Layer> gpu_dropout(const std::string& param) {
  caffe::LayerParameter p;
  parse_text_proto("name: 'drop' type: 'Dropout' phase: TRAIN dropout_param { " + param + " }",
                   "dropout case", p);
  auto layer = create_layer(p);
  layer->set_mode(Mode::gpu);
  return layer;
}

std::vector<float> data_of(const Blob& b) { return {b.data(), b.data() + b.count()}; }
std::vector<float> diff_of(const Blob& b) { return {b.diff(), b.diff() + b.count()}; }

}  // namespace

TEST_CASE("GPU Dropout in TRAIN keeps about 1 - ratio, scaled, and backward uses the mask",
          "[gpu][layers][dropout]") {
  SKIP_WITHOUT_GPU();
  seed_global_rng(1701);
  const int n = 100000;
  Blob x({10, 100, 100}), y;
  x.set_data(1.f);
  auto layer = gpu_dropout("dropout_ratio: 0.3");
  REQUIRE(layer->has_gpu_kernels());
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  const std::vector<float> out = data_of(y);
  int kept = 0, kept_pairs = 0;
  for (int i = 0; i < n; ++i) {
    REQUIRE((out[i] == 0.f || out[i] == Approx(1.f / 0.7f)));
    kept += out[i] != 0.f;
    if (i > 0) kept_pairs += out[i] != 0.f && out[i - 1] != 0.f;
  }
  // Binomial(100000, 0.7): mean 70000, sd 145; neighbours independent: 0.49 of pairs.
  CHECK(kept > 69300);
  CHECK(kept < 70700);
  CHECK(kept_pairs > 48300);
  CHECK(kept_pairs < 49700);
  // With x = 1 and dy = 1, dx must equal y: same elements dropped, same scale.
  y.set_diff(1.f);
  layer->backward({&y}, {true}, {&x});
  const std::vector<float> dx = diff_of(x);
  for (int i = 0; i < n; ++i) {
    INFO("element " << i);
    REQUIRE(dx[i] == out[i]);
  }
}

TEST_CASE("GPU Dropout in TRAIN: scale_train false keeps values unscaled, ratio 0 keeps all",
          "[gpu][layers][dropout]") {
  SKIP_WITHOUT_GPU();
  Blob x({4000}), y;
  x.set_data(1.f);
  auto unscaled = gpu_dropout("dropout_ratio: 0.25 scale_train: false");
  unscaled->setup({&x}, {&y});
  unscaled->forward({&x}, {&y});
  int kept = 0;
  for (float v : data_of(y)) {
    REQUIRE((v == 0.f || v == 1.f));
    kept += v != 0.f;
  }
  CHECK(kept > 2800);  // Binomial(4000, 0.75): mean 3000, sd 27
  CHECK(kept < 3200);
  auto none = gpu_dropout("dropout_ratio: 0");
  none->setup({&x}, {&y});
  none->forward({&x}, {&y});
  for (float v : data_of(y)) REQUIRE(v == 1.f);
}

TEST_CASE("GPU Dropout masks repeat under the same seed and change between passes",
          "[gpu][layers][dropout]") {
  SKIP_WITHOUT_GPU();
  Blob x({500}), y;
  fill_gaussian(x, 0.f, 1.f, 4);
  auto layer = gpu_dropout("");
  layer->setup({&x}, {&y});
  seed_global_rng(5);
  layer->forward({&x}, {&y});
  const std::vector<float> first = data_of(y);
  seed_global_rng(5);
  layer->forward({&x}, {&y});
  REQUIRE(data_of(y) == first);
  layer->forward({&x}, {&y});
  REQUIRE(data_of(y) != first);
}

TEST_CASE("GPU Dropout in place equals out of place", "[gpu][layers][dropout]") {
  SKIP_WITHOUT_GPU();
  Blob x({2, 3, 40}), y, dy({2, 3, 40});
  fill_gaussian(x, 0.f, 1.f, 7);
  fill_gaussian(dy, 0.f, 1.f, 9);
  auto apart = gpu_dropout("");
  apart->setup({&x}, {&y});
  seed_global_rng(8);
  apart->forward({&x}, {&y});
  std::copy(dy.data(), dy.data() + dy.count(), y.mutable_diff());
  apart->backward({&y}, {true}, {&x});

  Blob z({2, 3, 40});
  std::copy(x.data(), x.data() + x.count(), z.mutable_data());
  auto inplace = gpu_dropout("");
  inplace->setup({&z}, {&z});
  seed_global_rng(8);
  inplace->forward({&z}, {&z});
  REQUIRE(data_of(z) == data_of(y));
  std::copy(dy.data(), dy.data() + dy.count(), z.mutable_diff());
  inplace->backward({&z}, {true}, {&z});
  REQUIRE(diff_of(z) == diff_of(x));
}

TEST_CASE("GPU Dropout gradient matches numeric differences under a fixed mask",
          "[gpu][layers][dropout]") {
  SKIP_WITHOUT_GPU();
  for (const char* param : {"", "dropout_ratio: 0.3 scale_train: false"}) {
    Blob x({2, 3, 2, 3}), y;
    fill_gaussian(x, 0.f, 1.f, 1701);
    Reseeded layer(gpu_dropout(param));
    layer.setup({&x}, {&y});
    check_gradients(layer, {&x}, {&y});
  }
}

}  // namespace cortado::test
