// Softmax and SoftmaxWithLoss.
#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

TEST_CASE("Softmax forward matches hand-worked values", "[layers][softmax]") {
  Blob x({3, 3}), y;
  // exp(1,2,3)/sum = 0.0900306, 0.2447285, 0.6652410; the third row shows the
  // maximum is subtracted (exp(1000) would overflow).
  fill(x, {1, 2, 3, 0, 0, 0, 1000, 1001, 1002});
  auto layer = layer_of("type: 'Softmax'");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  REQUIRE(y.shape() == x.shape());
  const float a = 0.0900306f, b = 0.2447285f, c = 0.6652410f, t = 1.f / 3;
  expect_near(data_of(y), {a, b, c, t, t, t, a, b, c});
}

TEST_CASE("Softmax runs along softmax_param.axis", "[layers][softmax]") {
  // Shape (1, 2, 3): softmax over axis 2 normalises each row of 3.
  Blob x({1, 2, 3}), y;
  fill(x, {1, 2, 3, 3, 3, 3});
  auto layer = layer_of("type: 'Softmax' softmax_param { axis: -1 }");
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  const float t = 1.f / 3;
  expect_near(data_of(y), {0.0900306f, 0.2447285f, 0.6652410f, t, t, t});
  // Over axis 1 (the default) each column of 2 is normalised.
  auto by_channel = layer_of("type: 'Softmax'");
  by_channel->setup({&x}, {&y});
  by_channel->forward({&x}, {&y});
  const float p = 1.f / (1.f + std::exp(1.f)), q = 1.f / (1.f + std::exp(2.f));
  expect_near(data_of(y), {q, p, 0.5f, 1 - q, 1 - p, 0.5f});
}

TEST_CASE("Softmax gradient matches numeric differences", "[layers][softmax]") {
  for (const char* axis : {"1", "2", "-1"}) {
    Blob x({2, 3, 2, 2}), y;
    fill_gaussian(x, 0.f, 1.f, 1701);
    auto layer = layer_of(std::string("type: 'Softmax' softmax_param { axis: ") + axis + " }");
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
  }
}

TEST_CASE("Softmax in place equals out of place", "[layers][softmax]") {
  Blob x({2, 4, 3}), y, z({2, 4, 3});
  fill_gaussian(x, 0.f, 2.f, 5);
  std::copy(x.data(), x.data() + x.count(), z.mutable_data());
  auto out = layer_of("type: 'Softmax'"), in = layer_of("type: 'Softmax'");
  out->setup({&x}, {&y});
  in->setup({&z}, {&z});
  out->forward({&x}, {&y});
  in->forward({&z}, {&z});
  expect_near(data_of(z), data_of(y));
  fill_gaussian(y, 0.f, 1.f, 9);  // reuse as a random top gradient
  std::copy(y.data(), y.data() + y.count(), y.mutable_diff());
  std::copy(y.data(), y.data() + y.count(), z.mutable_diff());
  out->forward({&x}, {&y});
  out->backward({&y}, {true}, {&x});
  in->backward({&z}, {true}, {&z});
  expect_near(diff_of(z), diff_of(x));
}

// Scores (2, 3): row 0 = (1, 2, 3) with label 2, row 1 = (0, 0, 0) with label 0.
// -log p: 0.4076060 and log 3 = 1.0986123.
namespace {
const float kLoss0 = 0.4076060f, kLoss1 = 1.0986123f;

float softmax_loss(const std::string& extra, float label1 = 0.f) {
  Blob x({2, 3}), label({2}), loss;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2.f, label1});
  auto layer = layer_of("type: 'SoftmaxWithLoss' " + extra);
  layer->setup({&x, &label}, {&loss});
  const float weighted = layer->forward({&x, &label}, {&loss});
  CHECK(loss.num_axes() == 0);
  CHECK(weighted == Approx(loss.data()[0]));
  return loss.data()[0];
}
}  // namespace

TEST_CASE("SoftmaxWithLoss forward matches hand-worked values", "[layers][softmax_loss]") {
  CHECK(softmax_loss("") == Approx((kLoss0 + kLoss1) / 2));
  CHECK(softmax_loss("loss_param { normalization: BATCH_SIZE }") == Approx((kLoss0 + kLoss1) / 2));
  CHECK(softmax_loss("loss_param { normalization: FULL }") == Approx((kLoss0 + kLoss1) / 2));
  CHECK(softmax_loss("loss_param { normalization: NONE }") == Approx(kLoss0 + kLoss1));
}

TEST_CASE("SoftmaxWithLoss ignore_label and each normalization", "[layers][softmax_loss]") {
  // Row 1 is ignored: VALID divides by 1, BATCH_SIZE and FULL by 2, NONE by 1.
  const std::string ignore = "ignore_label: 0 ";
  CHECK(softmax_loss("loss_param { " + ignore + "}") == Approx(kLoss0));
  CHECK(softmax_loss("loss_param { " + ignore + "normalization: VALID }") == Approx(kLoss0));
  CHECK(softmax_loss("loss_param { " + ignore + "normalization: BATCH_SIZE }") ==
        Approx(kLoss0 / 2));
  CHECK(softmax_loss("loss_param { " + ignore + "normalization: FULL }") == Approx(kLoss0 / 2));
  CHECK(softmax_loss("loss_param { " + ignore + "normalization: NONE }") == Approx(kLoss0));
  // The legacy bool: true is VALID, false is BATCH_SIZE; `normalization` wins when both are set.
  CHECK(softmax_loss("loss_param { " + ignore + "normalize: true }") == Approx(kLoss0));
  CHECK(softmax_loss("loss_param { " + ignore + "normalize: false }") == Approx(kLoss0 / 2));
  CHECK(softmax_loss("loss_param { " + ignore + "normalize: false normalization: VALID }") ==
        Approx(kLoss0));
  // Every label ignored: the normalizer stays at least 1, so the loss is 0, not NaN.
  Blob x({1, 3}), label({1}), loss;
  fill(x, {1, 2, 3});
  fill(label, {0});
  auto layer = layer_of("type: 'SoftmaxWithLoss' loss_param { ignore_label: 0 }");
  layer->setup({&x, &label}, {&loss});
  layer->forward({&x, &label}, {&loss});
  CHECK(loss.data()[0] == 0.f);
}

TEST_CASE("SoftmaxWithLoss FULL counts spatial positions", "[layers][softmax_loss]") {
  // (1, 3, 1, 2): two positions, labels 2 and 0; scores per position as the rows above.
  Blob x({1, 3, 1, 2}), label({1, 1, 2}), loss;
  fill(x, {1, 0, 2, 0, 3, 0});
  fill(label, {2, 0});
  for (auto [norm, divisor] : std::vector<std::pair<std::string, float>>{
           {"VALID", 2.f}, {"FULL", 2.f}, {"BATCH_SIZE", 1.f}, {"NONE", 1.f}}) {
    auto layer = layer_of("type: 'SoftmaxWithLoss' loss_param { normalization: " + norm + " }");
    layer->setup({&x, &label}, {&loss});
    layer->forward({&x, &label}, {&loss});
    INFO(norm);
    CHECK(loss.data()[0] == Approx((kLoss0 + kLoss1) / divisor));
  }
}

TEST_CASE("SoftmaxWithLoss second top holds the probabilities", "[layers][softmax_loss]") {
  Blob x({2, 3}), label({2}), loss, prob;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2, 0});
  auto layer = layer_of("type: 'SoftmaxWithLoss' loss_weight: 1 loss_weight: 0");
  layer->setup({&x, &label}, {&loss, &prob});
  layer->forward({&x, &label}, {&loss, &prob});
  const float t = 1.f / 3;
  expect_near(data_of(prob), {0.0900306f, 0.2447285f, 0.6652410f, t, t, t});
}

TEST_CASE("SoftmaxWithLoss loss_weight scales loss and gradient", "[layers][softmax_loss]") {
  Blob x({2, 3}), label({2}), loss;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2, 0});
  auto layer = layer_of("type: 'SoftmaxWithLoss' loss_weight: 3");
  layer->setup({&x, &label}, {&loss});
  const float weighted = layer->forward({&x, &label}, {&loss});
  CHECK(weighted == Approx(3 * (kLoss0 + kLoss1) / 2));
  layer->backward({&loss}, {true, false}, {&x, &label});
  // 3/2 * (p - onehot)
  const float t = 1.f / 3;
  expect_near(diff_of(x), {1.5f * 0.0900306f, 1.5f * 0.2447285f, 1.5f * (0.6652410f - 1),
                           1.5f * (t - 1), 1.5f * t, 1.5f * t});
}

TEST_CASE("SoftmaxWithLoss gradient matches numeric differences", "[layers][softmax_loss]") {
  for (const char* extra :
       {"", "loss_param { normalization: FULL }", "loss_param { normalization: BATCH_SIZE }",
        "loss_param { normalization: NONE }", "loss_param { ignore_label: 1 }",
        "loss_param { ignore_label: 1 normalization: BATCH_SIZE }"}) {
    INFO(extra);
    Blob x({2, 4, 2, 3}), label({2, 1, 2, 3}), loss;
    fill_gaussian(x, 0.f, 1.f, 1701);
    fill_labels(label, 4, 3);
    auto layer = layer_of(std::string("type: 'SoftmaxWithLoss' ") + extra);
    layer->setup({&x, &label}, {&loss});
    GradCheck opts;
    opts.bottoms = {0};
    check_gradients(*layer, {&x, &label}, {&loss}, opts);
  }
}

TEST_CASE("SoftmaxWithLoss rejects bad labels and shapes", "[layers][softmax_loss]") {
  Blob x({2, 3}), label({2}), loss;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {3, 0});
  auto layer = layer_of("type: 'SoftmaxWithLoss'");
  layer->setup({&x, &label}, {&loss});
  CHECK_THROWS_WITH(layer->forward({&x, &label}, {&loss}), Catch::Contains("label 3"));
  Blob three({3});
  auto other = layer_of("type: 'SoftmaxWithLoss'");
  CHECK_THROWS_AS(other->setup({&x, &three}, {&loss}), Error);
  Blob wrong_count({2, 2});
  CHECK_THROWS_WITH(other->setup({&x, &wrong_count}, {&loss}), Catch::Contains("labels"));
  CHECK_THROWS_AS(layer->backward({&loss}, {true, true}, {&x, &label}), Error);
}

}  // namespace cortado::test::lossdata
