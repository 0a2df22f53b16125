// The layer table on the GPU: Softmax and the loss layers, and Accuracy, each case
// compared with the CPU layer and gradient-checked on the device
// (test/gpu/layer_parity.hpp). The cases mirror test/layers/loss_*.cpp.
#include <cmath>
#include <string>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"
#include "layers/registry.hpp"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "support/tool_runner.hpp"
#include "test_nets.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/train_graph.hpp"
#endif

namespace cortado::test {
namespace {

const char* const kNormalizations[] = {"",
                                       "normalization: VALID",
                                       "normalization: FULL",
                                       "normalization: BATCH_SIZE",
                                       "normalization: NONE",
                                       "normalize: false"};

// `type` on the GPU with the given bottoms: forward must throw an Error.
void require_gpu_forward_throws(const std::string& layer, const std::vector<Blob*>& bottom) {
  caffe::LayerParameter p;
  parse_text_proto(layer, "layer case", p);
  auto l = create_layer(p);
  Blob top;
  l->setup(bottom, {&top});
  l->set_mode(Mode::gpu);
  CHECK_THROWS_AS(l->forward(bottom, {&top}), Error);
}

// The message of the Error that forward throws on `mode` ("" for none).
std::string forward_error(const std::string& layer, const std::vector<Blob*>& bottom, Mode mode) {
  caffe::LayerParameter p;
  parse_text_proto(layer, "layer case", p);
  auto l = create_layer(p);
  Blob top;
  l->setup(bottom, {&top});
  l->set_mode(mode);
  try {
    l->forward(bottom, {&top});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Forward on the GPU must throw the CPU's Error, word for word.
void require_cpu_error_on_gpu(const std::string& layer, const std::vector<Blob*>& bottom) {
  const std::string cpu = forward_error(layer, bottom, Mode::cpu);
  REQUIRE_FALSE(cpu.empty());
  CHECK(forward_error(layer, bottom, Mode::gpu) == cpu);
}

// `layer` on the GPU, forward then backward to the bottoms in `down`; returns the loss.
float gpu_forward_backward(const std::string& layer, const std::vector<Blob*>& bottom,
                           const std::vector<bool>& down) {
  caffe::LayerParameter p;
  parse_text_proto(layer, "layer case", p);
  auto l = create_layer(p);
  Blob top;
  l->setup(bottom, {&top});
  l->set_mode(Mode::gpu);
  l->forward(bottom, {&top});
  l->backward({&top}, down, bottom);
  return top.data()[0];
}

void fill(Blob& b, const std::vector<float>& v) {
  REQUIRE(static_cast<int>(v.size()) == b.count());
  std::copy(v.begin(), v.end(), b.mutable_data());
}

}  // namespace

TEST_CASE("GPU Softmax matches the CPU layer along each axis, in place too",
          "[gpu][layers][softmax]") {
  for (const char* axis : {"", "softmax_param { axis: 0 }", "softmax_param { axis: 2 }",
                           "softmax_param { axis: -1 }"}) {
    for (bool in_place : {false, true}) {
      LayerCase c;
      c.layer = std::string("name: 'sm' type: 'Softmax' bottom: 'x' top: '") +
                (in_place ? "x" : "y") + "' " + axis;
      c.bottoms = {{2, 5, 3, 4}};
      check_layer_parity(c);
    }
  }
  LayerCase wide;  // many classes, one position each (a classifier's output)
  wide.layer = "name: 'sm' type: 'Softmax' bottom: 'x' top: 'y'";
  wide.bottoms = {{3, 1000}};
  wide.gradient_check = false;
  check_layer_parity(wide);
  // Rows of 32 channels or more take the warp-per-row kernels: a width that leaves
  // lanes idle in the last pass, out of place and in place, gradient-checked.
  for (bool in_place : {false, true}) {
    LayerCase rows;
    rows.layer =
        std::string("name: 'sm' type: 'Softmax' bottom: 'x' top: '") + (in_place ? "x" : "y") + "'";
    rows.bottoms = {{9, 45}};
    check_layer_parity(rows);
  }
}

TEST_CASE("GPU SoftmaxWithLoss matches the CPU layer: normalizations, ignore_label, spatial",
          "[gpu][layers][softmax_loss]") {
  for (const char* norm : kNormalizations) {
    for (const char* ignore : {"", "ignore_label: 1"}) {
      LayerCase c;
      c.layer = std::string(
                    "name: 'loss' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'label' "
                    "top: 'loss' loss_param { ") +
                norm + " " + ignore + " }";
      c.bottoms = {{2, 4, 2, 3}, {2, 1, 2, 3}};
      c.label_bottoms = {1};
      c.label_classes = 4;
      check_layer_parity(c);
    }
  }
  LayerCase weighted;  // loss weight 3, the probabilities as a second top, classes on axis 2
  weighted.layer =
      "name: 'loss' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'label' top: 'loss' top: 'prob' "
      "loss_weight: 3 loss_weight: 0 softmax_param { axis: 2 }";
  weighted.bottoms = {{3, 2, 5}, {3, 2}};
  weighted.label_bottoms = {1};
  weighted.label_classes = 5;
  // The layer backpropagates the loss only (as Caffe's does): the probabilities' diff
  // is ignored, so the numeric check, whose objective weighs every top, is for one top.
  weighted.gradient_check = false;
  check_layer_parity(weighted);
  LayerCase spatial = weighted;
  spatial.layer =
      "name: 'loss' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'label' top: 'loss' "
      "softmax_param { axis: 2 }";
  spatial.gradient_check = true;
  check_layer_parity(spatial);
  LayerCase all_ignored;  // every label ignored: loss 0, gradient 0
  all_ignored.layer =
      "name: 'loss' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'label' top: 'loss' "
      "loss_param { ignore_label: 0 }";
  all_ignored.bottoms = {{4, 3}, {4}};
  all_ignored.label_bottoms = {1};
  all_ignored.label_classes = 1;
  check_layer_parity(all_ignored);
  LayerCase many_classes;  // 40 classes in contiguous rows: the warp-per-row softmax
  many_classes.layer =
      "name: 'loss' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'label' top: 'loss'";
  many_classes.bottoms = {{6, 40}, {6}};
  many_classes.label_bottoms = {1};
  many_classes.label_classes = 40;
  check_layer_parity(many_classes);
  // More positions than the one-block kernel takes with its softmax (2048): the Softmax
  // layer's own kernel first; fewer take the fused one (the cases above).
  LayerCase many_positions;
  many_positions.layer =
      "name: 'loss' type: 'SoftmaxWithLoss' bottom: 'x' bottom: 'label' top: 'loss'";
  many_positions.bottoms = {{2, 3, 40, 30}, {2, 1, 40, 30}};
  many_positions.label_bottoms = {1};
  many_positions.label_classes = 3;
  check_layer_parity(many_positions);
}

TEST_CASE("GPU SoftmaxWithLoss and Accuracy reject an out-of-range label",
          "[gpu][layers][softmax_loss][accuracy]") {
  SKIP_WITHOUT_GPU();
  Blob x({2, 3}), label({2});
  fill_gaussian(x, 0.f, 1.f, 5);
  label.mutable_data()[0] = 0.f;
  label.mutable_data()[1] = 3.f;
  require_gpu_forward_throws("name: 'loss' type: 'SoftmaxWithLoss'", {&x, &label});
  require_gpu_forward_throws("name: 'acc' type: 'Accuracy'", {&x, &label});
}

TEST_CASE("GPU Accuracy matches the CPU layer: top_k, ignore_label, per class, axis",
          "[gpu][layers][accuracy]") {
  for (const char* param :
       {"", "accuracy_param { top_k: 2 }", "accuracy_param { top_k: 5 }",
        "accuracy_param { ignore_label: 1 }", "accuracy_param { ignore_label: 1 top_k: 3 }"}) {
    for (bool per_class : {false, true}) {
      LayerCase c;
      c.layer = std::string(
                    "name: 'acc' type: 'Accuracy' bottom: 'x' bottom: 'label' "
                    "top: 'acc' ") +
                (per_class ? "top: 'per_class' " : "") + param;
      c.bottoms = {{20, 5}, {20}};
      c.label_bottoms = {1};
      c.label_classes = 5;
      c.backward = false;
      check_layer_parity(c);
    }
  }
  LayerCase spatial;  // classes on axis 1 with spatial positions
  spatial.layer =
      "name: 'acc' type: 'Accuracy' bottom: 'x' bottom: 'label' top: 'acc' "
      "accuracy_param { top_k: 2 }";
  spatial.bottoms = {{2, 4, 3, 5}, {2, 3, 5}};
  spatial.label_bottoms = {1};
  spatial.label_classes = 4;
  spatial.backward = false;
  check_layer_parity(spatial);
  LayerCase last;  // classes last (axis 2)
  last.layer =
      "name: 'acc' type: 'Accuracy' bottom: 'x' bottom: 'label' top: 'acc' "
      "accuracy_param { axis: 2 }";
  last.bottoms = {{2, 6, 4}, {2, 6}};
  last.label_bottoms = {1};
  last.label_classes = 4;
  last.backward = false;
  check_layer_parity(last);
}

TEST_CASE("GPU EuclideanLoss matches the CPU layer, gradients to both inputs",
          "[gpu][layers][euclidean_loss]") {
  for (const char* weight : {"", "loss_weight: 2.5"}) {
    LayerCase c;
    c.layer = std::string(
                  "name: 'loss' type: 'EuclideanLoss' bottom: 'a' bottom: 'b' "
                  "top: 'loss' ") +
              weight;
    c.bottoms = {{3, 2, 2}, {3, 4}};  // same count per item, different shapes
    check_layer_parity(c);
  }
}

TEST_CASE("GPU SigmoidCrossEntropyLoss matches the CPU layer: normalizations, ignore_label",
          "[gpu][layers][sigmoid_loss]") {
  for (const char* norm : kNormalizations) {
    for (bool ignore : {false, true}) {
      LayerCase c;
      c.layer = std::string(
                    "name: 'loss' type: 'SigmoidCrossEntropyLoss' bottom: 'x' "
                    "bottom: 't' top: 'loss' loss_param { ") +
                norm + (ignore ? " ignore_label: 2" : "") + " }";
      c.bottoms = {{2, 3, 2}, {2, 3, 2}};
      c.label_bottoms = {1};
      c.label_classes = ignore ? 3 : 2;  // targets 0 and 1 (and 2, ignored)
      check_layer_parity(c);
    }
  }
}

TEST_CASE("GPU HingeLoss matches the CPU layer: L1, L2, loss weights", "[gpu][layers][hinge]") {
  for (const char* norm : {"", "hinge_loss_param { norm: L1 }", "hinge_loss_param { norm: L2 }"}) {
    for (const char* weight : {"", "loss_weight: 2.5"}) {
      LayerCase c;
      c.layer =
          std::string("name: 'loss' type: 'HingeLoss' bottom: 'x' bottom: 'label' top: 'loss' ") +
          norm + " " + weight;
      c.bottoms = {{4, 5, 1, 2}, {4}};  // dim = count(1) = 10
      c.label_bottoms = {1};
      c.label_classes = 10;
      // Scores 0.07 apart in [-1.4, 1.33]: none within a numeric step of the kinks at +-1.
      c.distinct_spacing = 0.07f;
      check_layer_parity(c);
    }
  }
  LayerCase rows;  // another width, scores beyond the kinks on both sides
  rows.layer =
      "name: 'loss' type: 'HingeLoss' bottom: 'x' bottom: 'label' top: 'loss' "
      "hinge_loss_param { norm: L2 }";
  rows.bottoms = {{3, 7}, {3}};
  rows.label_bottoms = {1};
  rows.label_classes = 7;
  rows.distinct_spacing = 0.13f;
  check_layer_parity(rows);
}

TEST_CASE("GPU MultinomialLogisticLoss matches the CPU layer, floors probabilities at 1e-20",
          "[gpu][layers][mll]") {
  for (const char* weight : {"", "loss_weight: 2.5"}) {
    LayerCase c;
    c.layer = std::string(
                  "name: 'loss' type: 'MultinomialLogisticLoss' bottom: 'p' bottom: 'label' "
                  "top: 'loss' ") +
              weight;
    c.bottoms = {{5, 4, 1, 1}, {5}};
    c.label_bottoms = {1};
    c.label_classes = 4;
    c.uniform_lo = 0.4f;  // -log p bends sharply near 0, beyond what a step of 1e-2 follows
    c.uniform_hi = 1.f;
    check_layer_parity(c);
  }
  SKIP_WITHOUT_GPU();
  Blob p({1, 2}), label({1});
  fill(p, {1.f, 0.f});
  fill(label, {1});
  const float loss = gpu_forward_backward("name: 'loss' type: 'MultinomialLogisticLoss'",
                                          {&p, &label}, {true, false});
  CHECK(loss == Approx(46.0517019f));  // -log(1e-20)
  CHECK(p.diff()[1] == Approx(-1e20f));
  CHECK(p.diff()[0] == 0.f);
}

TEST_CASE("GPU InfogainLoss with H as a bottom matches the CPU layer: normalizations, ignore_label",
          "[gpu][layers][infogain]") {
  for (const char* norm : {"", "normalization: VALID", "normalization: FULL",
                           "normalization: BATCH_SIZE", "normalization: NONE"}) {
    for (const char* ignore : {"", "ignore_label: 1"}) {
      LayerCase c;
      c.layer = std::string(
                    "name: 'loss' type: 'InfogainLoss' bottom: 'x' bottom: 'label' bottom: 'h' "
                    "top: 'loss' loss_param { ") +
                norm + " " + ignore + " }";
      // H (the third bottom) gets no gradient: filled as labels, with values 0 to 3.
      c.bottoms = {{2, 4, 2, 3}, {2, 1, 2, 3}, {4, 4}};
      c.label_bottoms = {1, 2};
      c.label_classes = 4;
      check_layer_parity(c);
    }
  }
  LayerCase all_ignored;  // every label ignored: loss 0, gradient 0
  all_ignored.layer =
      "name: 'loss' type: 'InfogainLoss' bottom: 'x' bottom: 'label' bottom: 'h' top: 'loss' "
      "loss_param { ignore_label: 0 }";
  all_ignored.bottoms = {{4, 3}, {4}, {3, 3}};
  all_ignored.label_bottoms = {1, 2};
  all_ignored.label_classes = 1;
  check_layer_parity(all_ignored);
}

TEST_CASE("GPU InfogainLoss matches the CPU layer along each axis, weighted, with probabilities",
          "[gpu][layers][infogain]") {
  LayerCase weighted;  // loss weight 3, the probabilities as a second top, classes on axis 2
  weighted.layer =
      "name: 'loss' type: 'InfogainLoss' bottom: 'x' bottom: 'label' bottom: 'h' top: 'loss' "
      "top: 'prob' loss_weight: 3 loss_weight: 0 infogain_loss_param { axis: 2 }";
  weighted.bottoms = {{3, 2, 5}, {3, 2}, {5, 5}};
  weighted.label_bottoms = {1, 2};
  weighted.label_classes = 5;
  // The probabilities' diff is ignored (as in Caffe), so no numeric check of both tops.
  weighted.gradient_check = false;
  check_layer_parity(weighted);
  struct Axis {
    const char* param;
    std::vector<int> scores, labels;
    int classes;
  };
  for (const Axis& a :
       {Axis{"axis: 2", {2, 3, 4}, {2, 3}, 4}, Axis{"axis: -1", {2, 3, 4}, {2, 3}, 4},
        Axis{"axis: 0", {3, 3, 2}, {3, 2}, 3}}) {
    LayerCase c;
    c.layer = std::string(
                  "name: 'loss' type: 'InfogainLoss' bottom: 'x' bottom: 'label' bottom: 'h' "
                  "top: 'loss' loss_weight: 1.5 infogain_loss_param { ") +
              a.param + " }";
    c.bottoms = {a.scores, a.labels, {a.classes, a.classes}};
    c.label_bottoms = {1, 2};
    c.label_classes = a.classes;
    check_layer_parity(c);
  }
}

TEST_CASE("GPU InfogainLoss reads H from a source file as the CPU layer does",
          "[gpu][layers][infogain]") {
  // H in Caffe's usual layout, (1, 1, C, C), its rows not summing to 1 (as a learned H's).
  Blob h({1, 1, 4, 4});
  fill_uniform(h, 0.f, 1.f, 5);
  caffe::BlobProto proto;
  h.to_proto(&proto);
  const std::string path = temp_dir("gpu_infogain") + "/infogain.binaryproto";
  write_binary_proto(path, proto);
  for (const char* tops :
       {"top: 'loss'", "top: 'loss' top: 'prob' loss_weight: 2 loss_weight: 0"}) {
    LayerCase c;
    c.layer = std::string(
                  "name: 'loss' type: 'InfogainLoss' bottom: 'x' bottom: 'label' "
                  "infogain_loss_param { source: '") +
              path + "' } loss_param { ignore_label: 2 } " + tops;
    c.bottoms = {{2, 4, 2, 3}, {2, 1, 2, 3}};
    c.label_bottoms = {1};
    c.label_classes = 4;
    c.gradient_check = std::string(tops).find("prob") == std::string::npos;
    check_layer_parity(c);
  }
}

// These losses are summed by one block: with more positions than its threads, each
// thread takes several. Compared with the CPU only: a numeric check of every element
// would be slow on the emulator and adds nothing the small cases do not check.
TEST_CASE("GPU one-block loss sums match the CPU layer beyond one block's threads",
          "[gpu][layers][hinge][mll][infogain][contrastive]") {
  auto big = [](const std::string& layer, std::vector<std::vector<int>> bottoms,
                std::vector<int> labels, int classes) {
    LayerCase c;
    c.layer = "name: 'loss' type: '" + layer;
    c.bottoms = std::move(bottoms);
    c.label_bottoms = std::move(labels);
    c.label_classes = classes;
    c.uniform_lo = 0.05f;  // probabilities for MultinomialLogisticLoss, features otherwise
    c.uniform_hi = 1.f;
    c.gradient_check = false;
    return c;
  };
  check_layer_parity(
      big("HingeLoss' bottom: 'x' bottom: 'label' top: 'loss'", {{600, 3}, {600}}, {1}, 3));
  check_layer_parity(big("MultinomialLogisticLoss' bottom: 'p' bottom: 'label' top: 'loss'",
                         {{700, 2}, {700}}, {1}, 2));
  check_layer_parity(
      big("InfogainLoss' bottom: 'x' bottom: 'label' bottom: 'h' top: 'loss' "
          "loss_param { ignore_label: 2 }",
          {{2, 4, 20, 20}, {2, 1, 20, 20}, {4, 4}}, {1, 2}, 4));
  check_layer_parity(big("ContrastiveLoss' bottom: 'a' bottom: 'b' bottom: 'y' top: 'loss'",
                         {{600, 2}, {600, 2}, {600}}, {2}, 2));
}

TEST_CASE("GPU ContrastiveLoss matches the CPU layer: margin, legacy_version, loss weights",
          "[gpu][layers][contrastive]") {
  for (const char* param : {"", "contrastive_loss_param { legacy_version: true }",
                            "contrastive_loss_param { margin: 2 }",
                            "contrastive_loss_param { margin: 2 legacy_version: true }",
                            "contrastive_loss_param { margin: 0.4 }"}) {
    for (const char* weight : {"", "loss_weight: 2.5"}) {
      LayerCase c;
      c.layer = std::string(
                    "name: 'loss' type: 'ContrastiveLoss' bottom: 'a' bottom: 'b' bottom: 'y' "
                    "top: 'loss' ") +
                param + " " + weight;
      c.bottoms = {{10, 3}, {10, 3}, {10}};
      c.label_bottoms = {2};
      c.label_classes = 2;  // similar (1) or not (0)
      // Features in [-0.5, 0.5): distances of about 0.7, dissimilar pairs on both sides
      // of each margin.
      c.uniform_lo = -0.5f;
      c.uniform_hi = 0.5f;
      check_layer_parity(c);
    }
  }
  LayerCase images;  // Caffe's N x C x 1 x 1 features
  images.layer =
      "name: 'loss' type: 'ContrastiveLoss' bottom: 'a' bottom: 'b' bottom: 'y' top: 'loss'";
  images.bottoms = {{6, 4, 1, 1}, {6, 4, 1, 1}, {6, 1, 1, 1}};
  images.label_bottoms = {2};
  images.label_classes = 2;
  check_layer_parity(images);
  // Hand-worked values (test/layers/loss_extra.cpp): y = 0.5 counts as dissimilar, as in
  // Caffe, which truncates it.
  SKIP_WITHOUT_GPU();
  Blob a({2, 2, 1, 1}), b({2, 2, 1, 1}), y({2});
  fill(a, {1, 2, 0, 0.3f});
  fill(b, {1, 0, 0.4f, 0});
  fill(y, {1, 0.5f});
  for (bool legacy : {false, true}) {
    INFO("legacy_version " << legacy);
    const float loss =
        gpu_forward_backward(std::string("name: 'loss' type: 'ContrastiveLoss' ") +
                                 (legacy ? "contrastive_loss_param { legacy_version: true }" : ""),
                             {&a, &b, &y}, {true, true, false});
    CHECK(loss == Approx(legacy ? 1.1875f : 1.0625f));
    const std::vector<float> ga = {0, 1, legacy ? 0.2f : 0.1999600f, legacy ? -0.15f : -0.1499700f};
    for (int i = 0; i < 4; ++i) {
      CHECK(a.diff()[i] == Approx(ga[i]).margin(1e-6));
      CHECK(b.diff()[i] == Approx(-ga[i]).margin(1e-6));
    }
  }
}

TEST_CASE("GPU HingeLoss, MultinomialLogisticLoss and InfogainLoss reject a bad label as the CPU",
          "[gpu][layers][hinge][mll][infogain]") {
  SKIP_WITHOUT_GPU();
  Blob x({3, 3}), label({3}), h({3, 3});
  fill_uniform(x, 0.1f, 1.f, 5);
  fill_uniform(h, 0.f, 1.f, 6);
  for (float bad : {3.f, -1.f}) {
    fill(label, {0, bad, 7});  // the first bad label is reported
    for (const char* type : {"HingeLoss", "MultinomialLogisticLoss"})
      require_cpu_error_on_gpu(std::string("name: 'loss' type: '") + type + "'", {&x, &label});
    require_cpu_error_on_gpu("name: 'loss' type: 'InfogainLoss'", {&x, &label, &h});
  }
  // Spatial positions: the label blob's position is reported; an ignored label is not bad.
  Blob xs({2, 3, 2}), ls({2, 2});
  fill_uniform(xs, 0.f, 1.f, 7);
  fill(ls, {0, -1, 2, 5});
  require_cpu_error_on_gpu("name: 'loss' type: 'InfogainLoss'", {&xs, &ls, &h});
  require_cpu_error_on_gpu("name: 'loss' type: 'InfogainLoss' loss_param { ignore_label: -1 }",
                           {&xs, &ls, &h});
}

#ifdef CORTADO_WITH_CUDA
namespace {

// Input (x, label, H) -> InnerProduct (3 outputs) -> the loss `type` (`bottoms` its
// bottoms after the scores), fed by the test each step.
caffe::SolverParameter fed_loss_solver(const std::string& type, const std::string& bottoms) {
  const std::string head = R"(
    name: "fed"
    layer { name: "input" type: "Input" top: "x" top: "label" top: "h" top: "x2"
            input_param { shape { dim: 8 dim: 5 } shape { dim: 8 } shape { dim: 3 dim: 3 }
                          shape { dim: 8 dim: 3 } } }
    layer { name: "fc" type: "InnerProduct" bottom: "x" top: "score"
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 }
                                  bias_filler { type: "constant" value: 0.1 } } }
    layer { name: "prob" type: "Softmax" bottom: "score" top: "p" })";
  const std::string loss =
      "layer { name: 'loss' type: '" + type + "' " + bottoms + " top: 'loss' }";
  caffe::NetParameter net;
  parse_text_proto(head + loss, "fed", net);
  return golden_solver(net, 1000);
}

void feed(Solver& s, int step, int bad_label = -1) {
  Net& net = s.net();
  float* x = net.blob_by_name("x")->mutable_data();
  float* x2 = net.blob_by_name("x2")->mutable_data();
  float* label = net.blob_by_name("label")->mutable_data();
  float* h = net.blob_by_name("h")->mutable_data();
  for (int i = 0; i < 40; ++i) x[i] = std::sin(0.37f * (i + 11 * step));
  for (int i = 0; i < 24; ++i) x2[i] = std::cos(0.23f * (i + 7 * step));
  for (int i = 0; i < 8; ++i) label[i] = static_cast<float>((i + step) % 3);
  if (bad_label >= 0) label[7] = static_cast<float>(bad_label);
  for (int i = 0; i < 9; ++i) h[i] = i % 4 == 0 ? 1.f : 0.25f;
}

std::vector<float> fed_losses(Solver& s, int from, int to) {
  std::vector<float> losses;
  for (int step = from; step < to; ++step) {
    feed(s, step);
    s.step(1);
    losses.push_back(s.smoothed_loss());
  }
  return losses;
}

}  // namespace

TEST_CASE("GPU loss layers in a captured training step train as eager launches, raise bad labels",
          "[gpu][layers][hinge][mll][infogain][contrastive][cuda_graph]") {
  SKIP_WITHOUT_GPU();
  struct Loss {
    const char* type;
    const char* bottoms;
    bool labels;
  };
  for (const Loss& l :
       {Loss{"HingeLoss", "bottom: 'score' bottom: 'label'", true},
        Loss{"MultinomialLogisticLoss", "bottom: 'p' bottom: 'label'", true},
        Loss{"InfogainLoss", "bottom: 'score' bottom: 'label' bottom: 'h'", true},
        Loss{"ContrastiveLoss", "bottom: 'score' bottom: 'x2' bottom: 'label'", false}}) {
    INFO(l.type);
    Solver eager(fed_loss_solver(l.type, l.bottoms));
    eager.set_cuda_graph(false);
    eager.set_mode(Mode::gpu);
    Solver graphed(fed_loss_solver(l.type, l.bottoms));
    graphed.set_mode(Mode::gpu);
    const std::vector<float> want = fed_losses(eager, 0, 6);
    const std::vector<float> got = fed_losses(graphed, 0, 6);
    REQUIRE(graphed.train_graph() != nullptr);
    CHECK(graphed.train_graph()->replaying());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("iteration " << i);
      CHECK(std::fabs(got[i] - want[i]) <= 1e-5f * std::fabs(want[i]));
    }
    if (!l.labels) continue;
    feed(graphed, 6, 7);
    std::string what;
    try {
      graphed.step(1);
    } catch (const Error& e) {
      what = e.what();
    }
    CHECK_THAT(what, Catch::Contains("'loss'") &&
                         Catch::Contains("label 7 at position 7 is outside [0, 3)"));
  }
}
#endif

}  // namespace cortado::test
