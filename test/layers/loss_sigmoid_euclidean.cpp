// SigmoidCrossEntropyLoss and EuclideanLoss.
#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

namespace {
// Per-element -[t log s(x) + (1 - t) log(1 - s(x))] for the inputs below,
// worked out in double precision.
const std::vector<float> kX = {0, 2, -3, 1.5f, -0.5f, 4};
const std::vector<float> kT = {1, 0, 0.5f, 1, 0, 0.25f};
const float kSum = 8.0623027f;     // all six
const float kElem4 = 0.4740770f;   // x = -0.5, t = 0

float sigmoid_loss(const std::string& extra, std::vector<float> targets = kT) {
  Blob x({2, 3}), t({2, 3}), loss;
  fill(x, kX);
  fill(t, targets);
  auto layer = layer_of("type: 'SigmoidCrossEntropyLoss' " + extra);
  layer->setup({&x, &t}, {&loss});
  layer->forward({&x, &t}, {&loss});
  CHECK(loss.num_axes() == 0);
  return loss.data()[0];
}
}  // namespace

TEST_CASE("SigmoidCrossEntropyLoss forward matches hand-worked values", "[layers][sigmoid_loss]") {
  // The default normalization of this layer is BATCH_SIZE (2 here).
  CHECK(sigmoid_loss("") == Approx(kSum / 2));
  CHECK(sigmoid_loss("loss_param { normalization: FULL }") == Approx(kSum / 6));
  CHECK(sigmoid_loss("loss_param { normalization: VALID }") == Approx(kSum / 6));
  CHECK(sigmoid_loss("loss_param { normalization: NONE }") == Approx(kSum));
  CHECK(sigmoid_loss("loss_param { normalize: true }") == Approx(kSum / 6));
  // Extreme scores stay finite.
  Blob x({1, 2}), t({1, 2}), loss;
  fill(x, {100.f, -100.f});
  fill(t, {0.f, 1.f});
  auto layer = layer_of("type: 'SigmoidCrossEntropyLoss'");
  layer->setup({&x, &t}, {&loss});
  layer->forward({&x, &t}, {&loss});
  CHECK(loss.data()[0] == Approx(200.f));
}

TEST_CASE("SigmoidCrossEntropyLoss ignore_label skips targets", "[layers][sigmoid_loss]") {
  std::vector<float> t = kT;
  t[4] = -1;  // element 4 ignored
  const float rest = kSum - kElem4;
  CHECK(sigmoid_loss("loss_param { ignore_label: -1 }", t) == Approx(rest / 2));
  CHECK(sigmoid_loss("loss_param { ignore_label: -1 normalization: VALID }", t) ==
        Approx(rest / 5));
  CHECK(sigmoid_loss("loss_param { ignore_label: -1 normalization: FULL }", t) == Approx(rest / 6));
}

TEST_CASE("SigmoidCrossEntropyLoss gradient matches numeric differences", "[layers][sigmoid_loss]") {
  for (const char* extra : {"", "loss_param { normalization: VALID }",
                            "loss_param { ignore_label: -1 normalization: VALID }"}) {
    INFO(extra);
    Blob x({2, 3, 2}), t({2, 3, 2}), loss;
    fill_gaussian(x, 0.f, 2.f, 1701);
    fill_uniform(t, 0.f, 1.f, 3);
    t.mutable_data()[5] = -1;  // ignored where ignore_label is set
    t.mutable_data()[7] = -1;
    auto layer = layer_of(std::string("type: 'SigmoidCrossEntropyLoss' ") + extra);
    layer->setup({&x, &t}, {&loss});
    GradCheck opts;
    opts.bottoms = {0};
    check_gradients(*layer, {&x, &t}, {&loss}, opts);
  }
}

TEST_CASE("SigmoidCrossEntropyLoss rejects mismatched counts", "[layers][sigmoid_loss]") {
  Blob x({2, 3}), t({2, 4}), loss;
  auto layer = layer_of("type: 'SigmoidCrossEntropyLoss'");
  CHECK_THROWS_WITH(layer->setup({&x, &t}, {&loss}), Catch::Contains("same count"));
}

TEST_CASE("EuclideanLoss forward matches hand-worked values", "[layers][euclidean_loss]") {
  Blob a({2, 2}), b({2, 2}), loss;
  fill(a, {1, 2, 3, 4});
  fill(b, {0, 0, 1, 1});
  // (1 + 4 + 4 + 9) / (2 * 2)
  auto layer = layer_of("type: 'EuclideanLoss'");
  layer->setup({&a, &b}, {&loss});
  CHECK(layer->forward({&a, &b}, {&loss}) == Approx(4.5f));
  CHECK(loss.num_axes() == 0);
  CHECK(loss.data()[0] == Approx(4.5f));
  layer->backward({&loss}, {true, true}, {&a, &b});
  expect_near(diff_of(a), {0.5f, 1.f, 1.f, 1.5f});
  expect_near(diff_of(b), {-0.5f, -1.f, -1.f, -1.5f});
}

TEST_CASE("EuclideanLoss gradient matches numeric differences for both inputs",
          "[layers][euclidean_loss]") {
  Blob a({3, 2, 2}), b({3, 4}), loss;  // same count per item, different shapes
  fill_gaussian(a, 0.f, 1.f, 1701);
  fill_gaussian(b, 0.f, 1.f, 1702);
  auto layer = layer_of("type: 'EuclideanLoss' loss_weight: 2");
  layer->setup({&a, &b}, {&loss});
  check_gradients(*layer, {&a, &b}, {&loss});
  Blob c({3, 5});
  auto bad = layer_of("type: 'EuclideanLoss'");
  CHECK_THROWS_AS(bad->setup({&a, &c}, {&loss}), Error);
}

}  // namespace cortado::test::lossdata
