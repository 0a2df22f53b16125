// The layer table on the GPU: Softmax and the loss layers, and Accuracy, each case
// compared with the CPU layer and gradient-checked on the device
// (test/gpu/layer_parity.hpp). The cases mirror test/layers/loss_*.cpp.
#include <string>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"
#include "layers/registry.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

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

}  // namespace cortado::test
