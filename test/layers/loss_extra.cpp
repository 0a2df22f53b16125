// HingeLoss, MultinomialLogisticLoss, InfogainLoss and ContrastiveLoss.
#include <fstream>

#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

namespace {

// Every layer error starts with this prefix (layers are named "under_test" by param_of).
Catch::Matchers::StdString::ContainsMatcher names_layer(const std::string& type) {
  return Catch::Contains("layer 'under_test' (" + type + ")");
}

// Runs forward and backward twice, with loss_weight 1 (the default) and 2: the returned
// loss and the gradients of the bottoms in `down` must double.
void check_loss_weight_doubles(const std::string& text, const BlobVec& bottom,
                               const std::vector<bool>& down) {
  std::vector<std::vector<float>> grads[2];
  float weighted[2];
  for (int k = 0; k < 2; ++k) {
    Blob loss;
    auto layer = layer_of(text + (k == 0 ? "" : " loss_weight: 2"));
    layer->setup(bottom, {&loss});
    weighted[k] = layer->forward(bottom, {&loss});
    layer->backward({&loss}, down, bottom);
    for (size_t b = 0; b < bottom.size(); ++b)
      if (down[b]) grads[k].push_back(diff_of(*bottom[b]));
  }
  CHECK(weighted[0] != 0.f);
  CHECK(weighted[1] == Approx(2 * weighted[0]));
  for (size_t b = 0; b < grads[0].size(); ++b) {
    std::vector<float> doubled = grads[0][b];
    for (float& g : doubled) g *= 2;
    CHECK(std::any_of(doubled.begin(), doubled.end(), [](float g) { return g != 0.f; }));
    expect_near(grads[1][b], doubled);
  }
}

// --- HingeLoss ---
// Scores (2, 3), labels (0, 2). t = max(0, 1 + s), with s negated at the label:
//   row 0 (1, -2, 0.5), label 0: t = (0, 0, 1.5)   (the label's margin is exactly met)
//   row 1 (0.5, 2, -1.5), label 2: t = (1.5, 3, 2.5)
// L1: (1.5 + 7) / 2 = 4.25; L2: (2.25 + 2.25 + 9 + 6.25) / 2 = 9.875.
const std::vector<float> kHingeScores = {1, -2, 0.5f, 0.5f, 2, -1.5f};

std::unique_ptr<Layer> run_hinge(const std::string& extra, Blob& x, Blob& label, Blob& loss) {
  fill(x, kHingeScores);
  fill(label, {0, 2});
  auto layer = layer_of("type: 'HingeLoss' " + extra);
  layer->setup({&x, &label}, {&loss});
  const float weighted = layer->forward({&x, &label}, {&loss});  // before reading the top
  CHECK(weighted == Approx(layer->loss(0) * loss.data()[0]));
  CHECK(loss.num_axes() == 0);
  layer->backward({&loss}, {true, false}, {&x, &label});
  return layer;
}

// Moves scores off the hinge's kinks at +-1, where the numeric gradient is meaningless.
void away_from_hinge_kinks(Blob& x) {
  float* p = x.mutable_data();
  for (int i = 0; i < x.count(); ++i)
    if (std::fabs(std::fabs(p[i]) - 1.f) < 0.05f) p[i] += p[i] > 0 ? 0.1f : -0.1f;
}

}  // namespace

TEST_CASE("HingeLoss L1 forward and backward match hand-worked values", "[layers][hinge]") {
  Blob x({2, 3}), label({2}), loss;
  run_hinge("", x, label, loss);
  CHECK(loss.data()[0] == Approx(4.25f));
  // sign(t) / N, negated at the label; sign(0) = 0 where the margin is exactly met.
  expect_near(diff_of(x), {0, 0, 0.5f, 0.5f, 0.5f, -0.5f});
  CHECK(diff_of(x)[0] == 0.f);
}

TEST_CASE("HingeLoss L2 forward and backward match hand-worked values", "[layers][hinge]") {
  Blob x({2, 3}), label({2}), loss;
  run_hinge("hinge_loss_param { norm: L2 }", x, label, loss);
  CHECK(loss.data()[0] == Approx(9.875f));
  // 2 t / N = t, negated at the label.
  expect_near(diff_of(x), {0, 0, 1.5f, 1.5f, 3, -2.5f});
  Blob x1({2, 3}), label1({2}), loss1;
  run_hinge("hinge_loss_param { norm: L1 }", x1, label1, loss1);
  CHECK(loss1.data()[0] == Approx(4.25f));  // L1 spelled out is the default
}

TEST_CASE("HingeLoss gradient matches numeric differences", "[layers][hinge]") {
  for (const char* extra : {"", "hinge_loss_param { norm: L2 }"}) {
    INFO(extra);
    Blob x({4, 5, 1, 2}), label({4}), loss;  // dim = count(1) = 10
    fill_gaussian(x, 0.f, 1.5f, 1701);
    away_from_hinge_kinks(x);
    fill_labels(label, 10, 3);
    auto layer = layer_of(std::string("type: 'HingeLoss' ") + extra);
    layer->setup({&x, &label}, {&loss});
    GradCheck opts;
    opts.bottoms = {0};
    check_gradients(*layer, {&x, &label}, {&loss}, opts);
  }
}

TEST_CASE("HingeLoss loss_weight scales loss and gradient", "[layers][hinge]") {
  Blob x({2, 3}), label({2});
  fill(x, kHingeScores);
  fill(label, {0, 2});
  check_loss_weight_doubles("type: 'HingeLoss'", {&x, &label}, {true, false});
  check_loss_weight_doubles("type: 'HingeLoss' hinge_loss_param { norm: L2 }", {&x, &label},
                            {true, false});
}

TEST_CASE("HingeLoss rejects bad labels and shapes", "[layers][hinge]") {
  Blob x({2, 3}), label({2}), loss;
  fill(x, kHingeScores);
  auto layer = layer_of("type: 'HingeLoss'");
  layer->setup({&x, &label}, {&loss});
  for (float bad : {3.f, -1.f}) {
    fill(label, {0, bad});
    CHECK_THROWS_WITH(layer->forward({&x, &label}, {&loss}), names_layer("HingeLoss"));
    CHECK_THROWS_WITH(layer->forward({&x, &label}, {&loss}),
                      Catch::Contains("label " + std::to_string(static_cast<int>(bad))));
  }
  fill(label, {0, 2});
  layer->forward({&x, &label}, {&loss});
  CHECK_THROWS_WITH(layer->backward({&loss}, {true, true}, {&x, &label}),
                    Catch::Contains("label input"));
  CHECK_FALSE(layer->allow_force_backward(1));
  Blob three({3}), two_each({2, 2});
  auto other = layer_of("type: 'HingeLoss'");
  CHECK_THROWS_WITH(other->setup({&x, &three}, {&loss}), names_layer("HingeLoss"));
  CHECK_THROWS_WITH(other->setup({&x, &two_each}, {&loss}), names_layer("HingeLoss"));
}

// --- MultinomialLogisticLoss ---
// Probabilities (2, 3): row 0 (0.2, 0.5, 0.3) label 1, row 1 (0.1, 0.1, 0.8) label 0.
// Loss -(log 0.5 + log 0.1) / 2 = (0.6931472 + 2.3025851) / 2 = 1.4978662.
// Gradient -(1 / N) / p at the label: -1 and -5, 0 elsewhere.
TEST_CASE("MultinomialLogisticLoss matches hand-worked values", "[layers][mll]") {
  Blob p({2, 3}), label({2}), loss;
  fill(p, {0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f});
  fill(label, {1, 0});
  auto layer = layer_of("type: 'MultinomialLogisticLoss'");
  layer->setup({&p, &label}, {&loss});
  CHECK(layer->forward({&p, &label}, {&loss}) == Approx(1.4978662f));
  CHECK(loss.num_axes() == 0);
  CHECK(loss.data()[0] == Approx(1.4978662f));
  p.set_diff(7.f);  // every element is written, zeros included
  layer->backward({&loss}, {true, false}, {&p, &label});
  expect_near(diff_of(p), {0, -1, 0, -5, 0, 0});
}

TEST_CASE("MultinomialLogisticLoss floors probabilities at 1e-20", "[layers][mll]") {
  Blob p({1, 2}), label({1}), loss;
  fill(p, {1.f, 0.f});
  fill(label, {1});
  auto layer = layer_of("type: 'MultinomialLogisticLoss'");
  layer->setup({&p, &label}, {&loss});
  layer->forward({&p, &label}, {&loss});
  CHECK(loss.data()[0] == Approx(46.0517019f));  // -log(1e-20)
  layer->backward({&loss}, {true, false}, {&p, &label});
  CHECK(p.diff()[1] == Approx(-1e20f));
  CHECK(p.diff()[0] == 0.f);
}

TEST_CASE("MultinomialLogisticLoss gradient matches numeric differences", "[layers][mll]") {
  // Probabilities well above 0: -log p bends sharply near 0, beyond what a step of 1e-2 follows.
  Blob p({5, 4, 1, 1}), label({5}), loss;
  fill_uniform(p, 0.4f, 1.f, 1701);
  fill_labels(label, 4, 3);
  auto layer = layer_of("type: 'MultinomialLogisticLoss'");
  layer->setup({&p, &label}, {&loss});
  GradCheck opts;
  opts.bottoms = {0};
  check_gradients(*layer, {&p, &label}, {&loss}, opts);
}

TEST_CASE("MultinomialLogisticLoss loss_weight scales loss and gradient", "[layers][mll]") {
  Blob p({2, 3}), label({2});
  fill(p, {0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f});
  fill(label, {1, 0});
  check_loss_weight_doubles("type: 'MultinomialLogisticLoss'", {&p, &label}, {true, false});
}

TEST_CASE("MultinomialLogisticLoss rejects bad labels and shapes", "[layers][mll]") {
  Blob p({2, 3}), label({2}), loss;
  fill(p, {0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f});
  fill(label, {3, 0});
  auto layer = layer_of("type: 'MultinomialLogisticLoss'");
  layer->setup({&p, &label}, {&loss});
  CHECK_THROWS_WITH(layer->forward({&p, &label}, {&loss}), names_layer("MultinomialLogisticLoss"));
  CHECK_THROWS_WITH(layer->forward({&p, &label}, {&loss}), Catch::Contains("label 3"));
  fill(label, {1, 0});
  layer->forward({&p, &label}, {&loss});
  CHECK_THROWS_WITH(layer->backward({&loss}, {true, true}, {&p, &label}),
                    Catch::Contains("label input"));
  Blob two_each({2, 2});
  auto other = layer_of("type: 'MultinomialLogisticLoss'");
  CHECK_THROWS_WITH(other->setup({&p, &two_each}, {&loss}), names_layer("MultinomialLogisticLoss"));
}

// --- InfogainLoss ---
// Scores (2, 3): row 0 (1, 2, 3) label 2, row 1 (0, 0, 0) label 0, as in loss_softmax.cpp:
// log p row 0 = (-2.4076060, -1.4076060, -0.4076060), p row 1 = 1/3 each.
// H (rows by label) = [[1, 0.5, 0], [0, 1, 0], [0.25, 0, 2]]:
//   row 0: 0.25 * 2.4076060 + 2 * 0.4076060 = 1.4171135
//   row 1: (1 + 0.5) * log 3 = 1.6479184
// Gradient (before scaling) p * rowsum(H[L]) - H[L]:
//   row 0 (rowsum 2.25): (-0.0474312, 0.5506391, -0.5032077)
//   row 1 (rowsum 1.5): (-0.5, 0, 0.5)
namespace {
const float kInfo0 = 1.4171135f, kInfo1 = 1.6479184f;
const std::vector<float> kH = {1, 0.5f, 0, 0, 1, 0, 0.25f, 0, 2};
const std::vector<float> kInfoGrad = {-0.0474312f, 0.5506391f, -0.5032077f, -0.5f, 0, 0.5f};

// Forward (and backward) with H as a third bottom; returns the loss.
float infogain_loss(const std::string& extra, Blob* grad_out = nullptr) {
  Blob x({2, 3}), label({2}), h({3, 3}), loss;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2, 0});
  fill(h, kH);
  auto layer = layer_of("type: 'InfogainLoss' " + extra);
  layer->setup({&x, &label, &h}, {&loss});
  const float weighted = layer->forward({&x, &label, &h}, {&loss});  // before reading the top
  CHECK(weighted == Approx(layer->loss(0) * loss.data()[0]));
  CHECK(loss.num_axes() == 0);
  if (grad_out) {
    layer->backward({&loss}, {true, false, false}, {&x, &label, &h});
    grad_out->reshape_like(x);
    std::copy(x.diff(), x.diff() + x.count(), grad_out->mutable_data());
  }
  return loss.data()[0];
}

// H = kH written as a (1, 1, 3, 3) binaryproto, Caffe's usual layout for it.
std::string write_infogain_file(const std::string& dir) {
  Blob h({1, 1, 3, 3});
  fill(h, kH);
  caffe::BlobProto proto;
  h.to_proto(&proto);
  const std::string path = dir + "/infogain.binaryproto";
  write_binary_proto(path, proto);
  return path;
}
}  // namespace

TEST_CASE("InfogainLoss matches hand-worked values", "[layers][infogain]") {
  CHECK(infogain_loss("") == Approx((kInfo0 + kInfo1) / 2));
  CHECK(infogain_loss("loss_param { normalization: NONE }") == Approx(kInfo0 + kInfo1));
  // loss_weight 2 cancels the normalizer 2: the diff is the unscaled gradient.
  Blob grad;
  CHECK(infogain_loss("loss_weight: 2", &grad) == Approx((kInfo0 + kInfo1) / 2));
  expect_near(data_of(grad), kInfoGrad);
  infogain_loss("", &grad);
  std::vector<float> half = kInfoGrad;
  for (float& g : half) g /= 2;
  expect_near(data_of(grad), half);
}

TEST_CASE("InfogainLoss ignore_label and each normalization", "[layers][infogain]") {
  // Row 1 (label 0) ignored: VALID divides by 1, BATCH_SIZE and FULL by 2, NONE by 1.
  const std::string ig = "loss_param { ignore_label: 0 ";
  CHECK(infogain_loss(ig + "}") == Approx(kInfo0));
  CHECK(infogain_loss(ig + "normalization: VALID }") == Approx(kInfo0));
  CHECK(infogain_loss(ig + "normalization: BATCH_SIZE }") == Approx(kInfo0 / 2));
  CHECK(infogain_loss(ig + "normalization: FULL }") == Approx(kInfo0 / 2));
  CHECK(infogain_loss(ig + "normalization: NONE }") == Approx(kInfo0));
  // The legacy bool is refused, as Caffe's InfogainLoss does.
  CHECK_THROWS_WITH(infogain_loss(ig + "normalize: false }"),
                    Catch::Contains("InfogainLoss") && Catch::Contains("normalization"));
  // The ignored row gets no gradient; the other one is scaled by 1 / VALID = 1.
  Blob grad;
  infogain_loss(ig + "}", &grad);
  expect_near(data_of(grad), {kInfoGrad[0], kInfoGrad[1], kInfoGrad[2], 0, 0, 0});
  // An ignore_label outside the classes is fine: it is tested before the range.
  CHECK(infogain_loss("loss_param { ignore_label: -1 }") == Approx((kInfo0 + kInfo1) / 2));
}

TEST_CASE("InfogainLoss reads H from a source file", "[layers][infogain]") {
  const std::string path = write_infogain_file(temp_dir("infogain"));
  Blob x({2, 3}), label({2}), loss, prob;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2, 0});
  auto layer = layer_of(
      "type: 'InfogainLoss' loss_weight: 2 loss_weight: 0 "
      "infogain_loss_param { source: '" +
      path + "' }");
  layer->setup({&x, &label}, {&loss, &prob});
  CHECK(layer->forward({&x, &label}, {&loss, &prob}) == Approx(kInfo0 + kInfo1));
  CHECK(loss.data()[0] == Approx((kInfo0 + kInfo1) / 2));
  // The second top holds the probabilities.
  const float t = 1.f / 3;
  expect_near(data_of(prob), {0.0900306f, 0.2447285f, 0.6652410f, t, t, t});
  layer->backward({&loss, &prob}, {true, false}, {&x, &label});
  expect_near(diff_of(x), kInfoGrad);
}

TEST_CASE("InfogainLoss runs its softmax along infogain_loss_param.axis", "[layers][infogain]") {
  // The rows above as (1, 2, 3) with the classes on axis 2: same loss.
  Blob x({1, 2, 3}), label({1, 2}), h({3, 3}), loss;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2, 0});
  fill(h, kH);
  auto layer = layer_of("type: 'InfogainLoss' infogain_loss_param { axis: 2 }");
  layer->setup({&x, &label, &h}, {&loss});
  layer->forward({&x, &label, &h}, {&loss});
  CHECK(loss.data()[0] == Approx((kInfo0 + kInfo1) / 2));
}

TEST_CASE("InfogainLoss with H the identity equals SoftmaxWithLoss", "[layers][infogain]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"loss_param { ignore_label: 1 }", "loss_param { ignore_label: 1 }"},
      {"loss_param { normalization: FULL }", "loss_param { normalization: FULL }"},
      {"loss_param { normalization: BATCH_SIZE }", "loss_param { normalization: BATCH_SIZE }"},
      {"loss_param { normalization: NONE ignore_label: 0 }",
       "loss_param { normalization: NONE ignore_label: 0 }"},
      {"infogain_loss_param { axis: 2 }", "softmax_param { axis: 2 }"},
  };
  for (const auto& [info, soft] : cases) {
    INFO(info);
    const bool axis2 = info.find("axis") != std::string::npos;
    Blob x({2, 4, 2, 3}), label(axis2 ? std::vector<int>{2, 4, 3} : std::vector<int>{2, 2, 3});
    Blob h(axis2 ? std::vector<int>{2, 2} : std::vector<int>{4, 4}), loss_i, loss_s;
    fill_gaussian(x, 0.f, 2.f, 1701);
    fill_labels(label, h.shape(0), 3);
    h.set_data(0.f);
    for (int c = 0; c < h.shape(0); ++c) h.mutable_data()[c * h.shape(0) + c] = 1.f;
    auto infogain = layer_of("type: 'InfogainLoss' loss_weight: 1.5 " + info);
    auto softmax = layer_of("type: 'SoftmaxWithLoss' loss_weight: 1.5 " + soft);
    infogain->setup({&x, &label, &h}, {&loss_i});
    softmax->setup({&x, &label}, {&loss_s});
    CHECK(infogain->forward({&x, &label, &h}, {&loss_i}) ==
          Approx(softmax->forward({&x, &label}, {&loss_s})));
    CHECK(loss_i.data()[0] == Approx(loss_s.data()[0]));
    softmax->backward({&loss_s}, {true, false}, {&x, &label});
    const std::vector<float> want = diff_of(x);
    x.set_diff(0.f);
    infogain->backward({&loss_i}, {true, false, false}, {&x, &label, &h});
    expect_near(diff_of(x), want);
  }
}

TEST_CASE("InfogainLoss gradient matches numeric differences", "[layers][infogain]") {
  for (const char* extra :
       {"", "loss_param { normalization: FULL }", "loss_param { normalization: BATCH_SIZE }",
        "loss_param { ignore_label: 1 }", "loss_param { ignore_label: 1 normalization: NONE }"}) {
    INFO(extra);
    Blob x({2, 4, 2, 3}), label({2, 1, 2, 3}), h({4, 4}), loss;
    fill_gaussian(x, 0.f, 1.f, 1701);
    fill_labels(label, 4, 3);
    fill_uniform(h, 0.f, 1.f, 5);  // rows not summing to 1, as a learned H may
    auto layer = layer_of(std::string("type: 'InfogainLoss' ") + extra);
    layer->setup({&x, &label, &h}, {&loss});
    GradCheck opts;
    opts.bottoms = {0};
    check_gradients(*layer, {&x, &label, &h}, {&loss}, opts);
  }
}

TEST_CASE("InfogainLoss loss_weight scales loss and gradient", "[layers][infogain]") {
  Blob x({2, 3}), label({2}), h({3, 3});
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {2, 0});
  fill(h, kH);
  check_loss_weight_doubles("type: 'InfogainLoss'", {&x, &label, &h}, {true, false, false});
}

TEST_CASE("InfogainLoss rejects bad labels, shapes and sources", "[layers][infogain]") {
  const auto named = names_layer("InfogainLoss");
  Blob x({2, 3}), label({2}), h({3, 3}), loss;
  fill(x, {1, 2, 3, 0, 0, 0});
  fill(label, {3, 0});
  fill(h, kH);
  auto layer = layer_of("type: 'InfogainLoss'");
  layer->setup({&x, &label, &h}, {&loss});
  CHECK_THROWS_WITH(layer->forward({&x, &label, &h}, {&loss}), named);
  CHECK_THROWS_WITH(layer->forward({&x, &label, &h}, {&loss}), Catch::Contains("label 3"));
  fill(label, {2, 0});
  layer->forward({&x, &label, &h}, {&loss});
  CHECK_THROWS_WITH(layer->backward({&loss}, {true, true, false}, {&x, &label, &h}), named);
  CHECK_THROWS_WITH(layer->backward({&loss}, {true, false, true}, {&x, &label, &h}),
                    Catch::Contains("infogain matrix"));
  CHECK_FALSE(layer->allow_force_backward(1));
  CHECK_FALSE(layer->allow_force_backward(2));
  // H of the wrong size: the error names both shapes.
  Blob h2({2, 2});
  auto small = layer_of("type: 'InfogainLoss'");
  CHECK_THROWS_WITH(small->setup({&x, &label, &h2}, {&loss}), named);
  CHECK_THROWS_WITH(small->setup({&x, &label, &h2}, {&loss}),
                    Catch::Contains("2 2 (4)") && Catch::Contains("2 3 (6)"));
  // Labels not one per position.
  Blob four({2, 2});
  auto counts = layer_of("type: 'InfogainLoss'");
  CHECK_THROWS_WITH(counts->setup({&x, &four, &h}, {&loss}), named);
  // No third bottom: `source` is required and must be readable.
  auto no_source = layer_of("type: 'InfogainLoss'");
  CHECK_THROWS_WITH(no_source->setup({&x, &label}, {&loss}), named);
  const std::string dir = temp_dir("infogain_bad");
  const std::string missing = dir + "/missing.binaryproto";
  auto absent = layer_of("type: 'InfogainLoss' infogain_loss_param { source: '" + missing + "' }");
  CHECK_THROWS_WITH(absent->setup({&x, &label}, {&loss}), named && Catch::Contains(missing));
  const std::string garbage = dir + "/garbage.binaryproto";
  std::ofstream(garbage, std::ios::binary) << "\xff\xff\xff\xff";  // not a varint tag
  auto foreign = layer_of("type: 'InfogainLoss' infogain_loss_param { source: '" + garbage + "' }");
  CHECK_THROWS_WITH(foreign->setup({&x, &label}, {&loss}), named && Catch::Contains(garbage));
}

// --- ContrastiveLoss ---
// a = ((1, 2), (0, 0.3)), b = ((1, 0), (0.4, 0)): a - b = ((0, 2), (-0.4, 0.3)),
// d^2 = (4, 0.25), d = (2, 0.5). y = (1, 0.5): pair 0 similar, pair 1 dissimilar
// (Caffe truncates y to int, so 0.5 counts as 0). Loss (4 + dissimilar term) / 2 / 2:
//   margin 1:   (1 - 0.5)^2 = 0.25 -> 1.0625;  legacy max(1 - 0.25, 0) = 0.75 -> 1.1875
//   margin 2:   1.5^2 = 2.25 -> 1.5625;        legacy 2 - 0.25 = 1.75 -> 1.4375
//   margin 0.4: 0 -> 1;                        legacy 0.4 - 0.25 = 0.15 -> 1.0375
// Gradient for a (w = 1, N = 2, alpha = 0.5): pair 0 alpha (a - b) = (0, 1); pair 1
// inside the margin: legacy -alpha (a - b) = (0.2, -0.15); non-legacy
// -alpha (m - d) / (d + 1e-4) (a - b): margin 1 -> beta = -0.4999000, (0.1999600, -0.1499700).
// b gets the negation.
namespace {
struct Pairs {
  Blob a{std::vector<int>{2, 2, 1, 1}}, b{std::vector<int>{2, 2, 1, 1}};
  Blob y{std::vector<int>{2}}, loss;
  Pairs() {
    fill(a, {1, 2, 0, 0.3f});
    fill(b, {1, 0, 0.4f, 0});
    fill(y, {1, 0.5f});
  }
  BlobVec bottom() { return {&a, &b, &y}; }
  float run(const std::string& extra) {
    auto layer = layer_of("type: 'ContrastiveLoss' " + extra);
    layer->setup(bottom(), {&loss});
    const float weighted = layer->forward(bottom(), {&loss});  // before reading the top
    CHECK(weighted == Approx(layer->loss(0) * loss.data()[0]));
    CHECK(loss.num_axes() == 0);
    layer->backward({&loss}, {true, true, false}, bottom());
    return loss.data()[0];
  }
};

std::vector<float> negated(std::vector<float> v) {
  for (float& x : v) x = -x;
  return v;
}
}  // namespace

TEST_CASE("ContrastiveLoss matches hand-worked values", "[layers][contrastive]") {
  Pairs p;
  CHECK(p.run("") == Approx(1.0625f));
  const std::vector<float> ga = {0, 1, 0.1999600f, -0.1499700f};
  expect_near(diff_of(p.a), ga);
  expect_near(diff_of(p.b), negated(ga));
}

TEST_CASE("ContrastiveLoss legacy_version and margin", "[layers][contrastive]") {
  Pairs p;
  CHECK(p.run("contrastive_loss_param { legacy_version: true }") == Approx(1.1875f));
  expect_near(diff_of(p.a), {0, 1, 0.2f, -0.15f});
  expect_near(diff_of(p.b), {0, -1, -0.2f, 0.15f});
  CHECK(p.run("contrastive_loss_param { margin: 2 }") == Approx(1.5625f));
  // beta = -0.5 * 1.5 / 0.5001 = -1.4997001
  expect_near(diff_of(p.a), {0, 1, 0.5998800f, -0.4499100f});
  CHECK(p.run("contrastive_loss_param { margin: 2 legacy_version: true }") == Approx(1.4375f));
  // Outside the margin the dissimilar pair adds nothing and gets no gradient.
  CHECK(p.run("contrastive_loss_param { margin: 0.4 }") == Approx(1.f));
  expect_near(diff_of(p.a), {0, 1, 0, 0});
  expect_near(diff_of(p.b), {0, -1, 0, 0});
  CHECK(p.run("contrastive_loss_param { margin: 0.4 legacy_version: true }") == Approx(1.0375f));
  expect_near(diff_of(p.a), {0, 1, 0.2f, -0.15f});
}

TEST_CASE("ContrastiveLoss gradient matches numeric differences", "[layers][contrastive]") {
  // Ten pairs of 3-vectors at chosen distances r, each once similar, once dissimilar:
  // b = a + r u, u a random unit vector. The distances stay away from the kinks at
  // d = margin (non-legacy) and d^2 = margin (legacy) for margins 1 and 2.
  const float radii[] = {0.3f, 0.7f, 1.2f, 1.7f, 2.5f};
  Blob a({10, 3}), b({10, 3}), u({10, 3}), y({10}), loss;
  fill_gaussian(a, 0.f, 1.f, 1701);
  fill_gaussian(u, 0.f, 1.f, 1702);
  for (int i = 0; i < 10; ++i) {
    const float* ui = u.data() + 3 * i;
    const float norm = std::sqrt(ui[0] * ui[0] + ui[1] * ui[1] + ui[2] * ui[2]);
    for (int c = 0; c < 3; ++c)
      b.mutable_data()[3 * i + c] = a.data()[3 * i + c] + radii[i / 2] * ui[c] / norm;
    y.mutable_data()[i] = static_cast<float>(i % 2);
  }
  for (const char* extra : {"", "contrastive_loss_param { legacy_version: true }",
                            "contrastive_loss_param { margin: 2 }",
                            "contrastive_loss_param { margin: 2 legacy_version: true }"}) {
    INFO(extra);
    auto layer = layer_of(std::string("type: 'ContrastiveLoss' ") + extra);
    layer->setup({&a, &b, &y}, {&loss});
    GradCheck opts;
    opts.bottoms = {0, 1};
    // Caffe's 1e-4 in -alpha (m - d) / (d + 1e-4) makes the analytic gradient of
    // non-legacy dissimilar pairs differ from the true one by a relative 1e-4 / d; at
    // these distances (and loss weights) that stays under Caffe's threshold of 1e-3.
    check_gradients(*layer, {&a, &b, &y}, {&loss}, opts);
  }
}

TEST_CASE("ContrastiveLoss loss_weight scales loss and gradient", "[layers][contrastive]") {
  for (const char* extra : {"", "contrastive_loss_param { legacy_version: true }"}) {
    INFO(extra);
    Pairs p;
    check_loss_weight_doubles(std::string("type: 'ContrastiveLoss' ") + extra, p.bottom(),
                              {true, true, false});
  }
}

TEST_CASE("ContrastiveLoss rejects mismatched shapes", "[layers][contrastive]") {
  const auto named = names_layer("ContrastiveLoss");
  Blob a({2, 3}), b({2, 4}), b3({3, 3}), y({2}), y3({3}), loss;
  auto layer = layer_of("type: 'ContrastiveLoss'");
  CHECK_THROWS_WITH(layer->setup({&a, &b, &y}, {&loss}), named && Catch::Contains("2 4 (8)"));
  CHECK_THROWS_WITH(layer->setup({&a, &b3, &y}, {&loss}), named);
  CHECK_THROWS_WITH(layer->setup({&a, &a, &y3}, {&loss}), named && Catch::Contains("3 (3)"));
  Blob wide({2, 3, 2, 1});  // Caffe's features are N x C x 1 x 1
  CHECK_THROWS_WITH(layer->setup({&wide, &wide, &y}, {&loss}), named && Catch::Contains("2 3 2 1"));
  CHECK_FALSE(layer->allow_force_backward(2));
  CHECK(layer->allow_force_backward(1));
}

}  // namespace cortado::test::lossdata
