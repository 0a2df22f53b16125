// Dropout and the global RNG it draws from.
#include "neuron_structural_util.hpp"
#include "support/reseeded_layer.hpp"
#include "util/rng.hpp"

namespace cortado::test {

namespace {

std::string dropout(const char* phase, const std::string& extra = "") {
  return std::string("type: 'Dropout' phase: ") + phase + " dropout_param { " + extra + " }";
}

}  // namespace

TEST_CASE("Dropout in TRAIN zeroes about ratio of inputs and scales the rest",
          "[layers][dropout]") {
  seed_global_rng(1701);
  Blob x({10, 10, 10}), y;
  x.set_data(1.f);
  auto layer = make_layer(dropout("TRAIN", "dropout_ratio: 0.3"));
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  int kept = 0;
  for (int i = 0; i < y.count(); ++i) {
    const float v = y.data()[i];
    REQUIRE((v == 0.f || v == Approx(1.f / 0.7f)));
    kept += v != 0.f;
  }
  // 1000 Bernoulli(0.7) draws: mean 700, sd 14.5.
  REQUIRE(kept > 640);
  REQUIRE(kept < 760);
  // Backward routes the gradient through the same mask, with the same scale.
  y.set_diff(1.f);
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < y.count(); ++i) REQUIRE(x.diff()[i] == Approx(y.data()[i]));
}

TEST_CASE("Dropout in TEST is the identity", "[layers][dropout]") {
  Blob x({2, 3, 4}), y;
  fill_gaussian(x, 0.f, 1.f, 3);
  auto layer = make_layer(dropout("TEST"));
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  require_near(values(y), values(x), 0.f);
  y.set_diff(2.f);
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < x.count(); ++i) REQUIRE(x.diff()[i] == 2.f);
}

TEST_CASE("Dropout scale_train false scales at TEST instead", "[layers][dropout]") {
  Blob x({400}), y;
  x.set_data(1.f);
  auto test = make_layer(dropout("TEST", "dropout_ratio: 0.25 scale_train: false"));
  test->setup({&x}, {&y});
  test->forward({&x}, {&y});
  for (int i = 0; i < y.count(); ++i) REQUIRE(y.data()[i] == Approx(0.75f));
  auto train = make_layer(dropout("TRAIN", "dropout_ratio: 0.25 scale_train: false"));
  train->setup({&x}, {&y});
  train->forward({&x}, {&y});
  for (int i = 0; i < y.count(); ++i) REQUIRE((y.data()[i] == 0.f || y.data()[i] == 1.f));
}

TEST_CASE("Dropout masks repeat under the same seed", "[layers][dropout]") {
  Blob x({50}), y1, y2;
  fill_gaussian(x, 0.f, 1.f, 4);
  auto layer = make_layer(dropout("TRAIN"));
  layer->setup({&x}, {&y1});
  seed_global_rng(5);
  layer->forward({&x}, {&y1});
  y2.reshape_like(y1);
  seed_global_rng(5);
  layer->forward({&x}, {&y2});
  require_near(values(y1), values(y2), 0.f);
  layer->forward({&x}, {&y2});
  REQUIRE(values(y1) != values(y2));
}

TEST_CASE("Dropout gradient matches numeric differences under a fixed mask", "[layers][dropout]") {
  for (const char* phase : {"TRAIN", "TEST"}) {
    Blob x({2, 3, 2, 3}), y;
    fill_gaussian(x, 0.f, 1.f, 1701);
    Reseeded layer(make_layer(dropout(phase)));
    layer.setup({&x}, {&y});
    check_gradients(layer, {&x}, {&y});
  }
}

TEST_CASE("Dropout in place equals out of place", "[layers][dropout]") {
  seed_global_rng(8);
  Blob x({2, 3, 4}), y, dy({2, 3, 4});
  fill_gaussian(x, 0.f, 1.f, 7);
  fill_gaussian(dy, 0.f, 1.f, 9);
  auto apart = make_layer(dropout("TRAIN"));
  apart->setup({&x}, {&y});
  seed_global_rng(8);
  apart->forward({&x}, {&y});
  std::copy(dy.data(), dy.data() + dy.count(), y.mutable_diff());
  apart->backward({&y}, {true}, {&x});
  Blob z({2, 3, 4});
  std::copy(x.data(), x.data() + x.count(), z.mutable_data());
  auto inplace = make_layer(dropout("TRAIN"));
  inplace->setup({&z}, {&z});
  seed_global_rng(8);
  inplace->forward({&z}, {&z});
  require_near(values(z), values(y), 0.f);
  std::copy(dy.data(), dy.data() + dy.count(), z.mutable_diff());
  inplace->backward({&z}, {true}, {&z});
  require_near(diffs(z), diffs(x), 0.f);
}

TEST_CASE("Dropout refuses a ratio below 0 or of 1 and more", "[layers][dropout]") {
  Blob x({4}), y;
  auto layer = make_layer("name: 'd' " + dropout("TRAIN", "dropout_ratio: 1"));
  REQUIRE_THROWS_WITH(layer->setup({&x}, {&y}), Catch::Contains("layer 'd' (Dropout)"));
}

TEST_CASE("Global RNG state saves and restores exactly", "[layers][rng]") {
  seed_global_rng(42);
  global_rng()();
  const std::string state = save_global_rng_state();
  std::vector<uint32_t> first;
  for (int i = 0; i < 5; ++i) first.push_back(global_rng()());
  restore_global_rng_state(state);
  for (int i = 0; i < 5; ++i) REQUIRE(global_rng()() == first[i]);
  REQUIRE_THROWS_AS(restore_global_rng_state("not a state"), Error);
  // A 32-bit seed seeds as std::mt19937(seed) does.
  seed_global_rng(42);
  REQUIRE(global_rng()() == std::mt19937(42)());
}

}  // namespace cortado::test
