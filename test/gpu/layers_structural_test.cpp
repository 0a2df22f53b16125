// The layer table on the GPU: structural layers (combining, broadcasting, copying,
// reshaping, ranking, normalising), each case compared with the CPU layer and
// gradient-checked on the device (test/gpu/layer_parity.hpp).
#include <memory>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"
#include "layers/registry.hpp"
#include "util/proto_io.hpp"

namespace cortado::test {
namespace {

LayerCase make_case(const std::string& layer, std::vector<std::vector<int>> bottoms) {
  LayerCase c;
  c.layer = layer;
  c.bottoms = std::move(bottoms);
  return c;
}

}  // namespace

TEST_CASE("GPU Eltwise matches the CPU layer: SUM with coeff, PROD, MAX",
          "[gpu][layers][eltwise]") {
  const std::vector<std::vector<int>> three = {{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}};
  check_layer_parity(make_case("type: 'Eltwise'", {{2, 3, 4, 5}, {2, 3, 4, 5}}));
  check_layer_parity(make_case(
      "type: 'Eltwise' eltwise_param { operation: SUM coeff: 1 coeff: -2 coeff: 0.5 }", three));
  check_layer_parity(make_case("type: 'Eltwise' eltwise_param { operation: PROD }", three));
  // The quick gradient y / x_k: inputs away from 0.
  LayerCase quick =
      make_case("type: 'Eltwise' eltwise_param { operation: PROD stable_prod_grad: false }", three);
  quick.uniform_lo = 0.5f;
  quick.uniform_hi = 1.5f;
  check_layer_parity(quick);
  // MAX: backward is compared with the CPU's; a numeric check would trip over the
  // near-ties that N(0, 1) inputs hold (the CPU test builds inputs without them).
  using Shapes = std::vector<std::vector<int>>;
  for (const Shapes& bottoms : {three, Shapes{{2, 3, 4, 5}, {2, 3, 4, 5}}}) {
    LayerCase max = make_case("type: 'Eltwise' eltwise_param { operation: MAX }", bottoms);
    max.gradient_check = false;
    check_layer_parity(max);
  }
}

TEST_CASE("GPU Scale matches the CPU layer: learned, bias_term, axis/num_axes, second bottom",
          "[gpu][layers][scale]") {
  const std::string fillers =
      "filler { type: 'uniform' min: -1 max: 1 } bias_filler { type: 'uniform' min: -1 max: 1 }";
  for (const std::string& param :
       {std::string("scale_param { ") + fillers + " }",
        "scale_param { bias_term: true " + fillers + " }",
        "scale_param { axis: 1 num_axes: -1 bias_term: true " + fillers + " }",
        "scale_param { axis: -1 " + fillers + " }",
        "scale_param { num_axes: 0 bias_term: true " + fillers + " }"}) {
    for (bool in_place : {false, true}) {
      check_layer_parity(make_case(
          "type: 'Scale' bottom: 'x' top: '" + std::string(in_place ? "x" : "y") + "' " + param,
          {{2, 3, 4, 5}}));
    }
  }
  for (bool in_place : {false, true}) {
    const std::string top = in_place ? "x" : "y";
    check_layer_parity(make_case(
        "type: 'Scale' bottom: 'x' bottom: 's' top: '" + top + "' scale_param { axis: 0 }",
        {{2, 3, 4, 5}, {2, 3}}));
    check_layer_parity(
        make_case("type: 'Scale' bottom: 'x' bottom: 's' top: '" + top +
                      "' scale_param { axis: 1 bias_term: true bias_filler { type: 'gaussian' } }",
                  {{2, 3, 4, 5}, {3, 4}}));
  }
}

TEST_CASE("GPU Bias matches the CPU layer: learned, second bottom, axis/num_axes, in place",
          "[gpu][layers][bias]") {
  for (bool in_place : {false, true}) {
    const std::string io = std::string("bottom: 'x' top: '") + (in_place ? "x" : "y") + "' ";
    check_layer_parity(make_case(
        "type: 'Bias' " + io + "bias_param { filler { type: 'gaussian' } }", {{2, 3, 4, 5}}));
    check_layer_parity(make_case(
        "type: 'Bias' " + io + "bias_param { axis: 1 num_axes: 2 filler { type: 'gaussian' } }",
        {{2, 3, 4, 5}}));
    check_layer_parity(
        make_case("type: 'Bias' " + io + "bias_param { num_axes: 0 filler { type: 'gaussian' } }",
                  {{2, 3, 4, 5}}));
    check_layer_parity(make_case("type: 'Bias' bottom: 'x' bottom: 'b' top: '" +
                                     std::string(in_place ? "x" : "y") + "' bias_param { axis: 1 }",
                                 {{2, 3, 4, 5}, {3, 4}}));
  }
}

TEST_CASE("GPU Concat matches the CPU layer on every axis, legacy concat_dim too",
          "[gpu][layers][concat]") {
  check_layer_parity(make_case("type: 'Concat'", {{2, 3, 4, 5}, {2, 2, 4, 5}, {2, 1, 4, 5}}));
  check_layer_parity(
      make_case("type: 'Concat' concat_param { axis: 0 }", {{2, 3, 4, 5}, {1, 3, 4, 5}}));
  check_layer_parity(
      make_case("type: 'Concat' concat_param { axis: -1 }", {{2, 3, 4, 5}, {2, 3, 4, 2}}));
  check_layer_parity(
      make_case("type: 'Concat' concat_param { concat_dim: 2 }", {{2, 3, 4, 5}, {2, 3, 1, 5}}));
  check_layer_parity(make_case("type: 'Concat'", {{2, 3, 4, 5}}));
}

TEST_CASE("GPU Slice matches the CPU layer: slice_point, equal parts, legacy slice_dim",
          "[gpu][layers][slice]") {
  check_layer_parity(
      make_case("type: 'Slice' top: 'a' top: 'b' top: 'c' slice_param { slice_point: 1 "
                "slice_point: 3 }",
                {{2, 5, 3, 2}}));
  check_layer_parity(
      make_case("type: 'Slice' top: 'a' top: 'b' slice_param { axis: 0 }", {{4, 3, 2}}));
  check_layer_parity(make_case(
      "type: 'Slice' top: 'a' top: 'b' slice_param { axis: -1 slice_point: 3 }", {{2, 3, 5}}));
  check_layer_parity(
      make_case("type: 'Slice' top: 'a' top: 'b' slice_param { slice_dim: 2 }", {{2, 3, 4, 2}}));
}

TEST_CASE("GPU Split matches the CPU layer: shared data, summed diffs", "[gpu][layers][split]") {
  check_layer_parity(make_case("type: 'Split' top: 'a'", {{2, 3, 4}}));
  check_layer_parity(make_case("type: 'Split' top: 'a' top: 'b' top: 'c'", {{2, 3, 4, 5}}));
}

TEST_CASE("GPU Flatten and Reshape match the CPU layers (shared data and diff)",
          "[gpu][layers][flatten][reshape]") {
  for (const char* param : {"", "flatten_param { axis: 1 end_axis: 2 }",
                            "flatten_param { axis: -3 end_axis: -2 }", "flatten_param { axis: 0 }"})
    check_layer_parity(make_case(std::string("type: 'Flatten' ") + param, {{2, 3, 4, 5}}));
  for (const char* param : {"reshape_param { shape { dim: 0 dim: -1 } }",
                            "reshape_param { shape { dim: 6 dim: 2 dim: 10 } }",
                            "reshape_param { axis: 1 num_axes: 2 shape { dim: -1 } }",
                            "reshape_param { axis: -1 shape { dim: 1 } }"})
    check_layer_parity(make_case(std::string("type: 'Reshape' ") + param, {{2, 3, 4, 5}}));
}

TEST_CASE("GPU Crop matches the CPU layer: one offset, per-axis offsets, default axis",
          "[gpu][layers][crop]") {
  const std::vector<std::pair<std::string, std::vector<std::vector<int>>>> cases = {
      {"crop_param { offset: 1 }", {{2, 3, 6, 7}, {2, 3, 4, 5}}},
      {"crop_param { axis: 1 offset: 1 offset: 2 offset: 0 }", {{2, 5, 6, 4}, {2, 3, 4, 4}}},
      {"", {{2, 3, 6, 7}, {1, 1, 3, 3}}},
      {"crop_param { axis: 0 offset: 1 }", {{3, 4, 5}, {2, 2, 3}}},
      {"crop_param { axis: -1 offset: 2 }", {{2, 3, 7}, {2, 3, 4}}}};
  for (const auto& [param, bottoms] : cases) {
    LayerCase c = make_case("type: 'Crop' " + param, bottoms);
    c.grad.bottoms = {0};  // bottom 1 gives only its shape
    check_layer_parity(c);
  }
}

TEST_CASE("GPU ArgMax matches the CPU layer: flattened or along an axis, top_k, values, ties",
          "[gpu][layers][argmax]") {
  const std::vector<std::pair<std::string, std::vector<int>>> cases = {
      {"", {3, 10}},
      {"argmax_param { top_k: 3 out_max_val: true }", {3, 4, 5}},
      {"argmax_param { axis: 1 }", {2, 6, 3, 4}},
      {"argmax_param { axis: -2 top_k: 2 out_max_val: true }", {2, 3, 5, 4}},
      {"argmax_param { axis: 0 top_k: 4 }", {5, 3, 2}}};
  for (const auto& [param, shape] : cases) {
    for (bool ties : {false, true}) {
      LayerCase c = make_case("type: 'ArgMax' " + param, {shape});
      c.backward = false;  // ArgMax has no gradient
      if (ties) {          // integers in [0, 3): many equal values, ranked by index
        c.label_bottoms = {0};
        c.label_classes = 3;
      }
      check_layer_parity(c);
    }
  }
}

TEST_CASE("GPU BatchNorm matches the CPU layer: batch and global statistics, running sums",
          "[gpu][layers][batchnorm]") {
  const std::vector<std::string> layers = {
      "phase: TRAIN", "phase: TRAIN batch_norm_param { moving_average_fraction: 0.5 eps: 1 }",
      "phase: TRAIN batch_norm_param { use_global_stats: true }", "phase: TEST",
      "phase: TEST batch_norm_param { use_global_stats: false }"};
  for (const std::string& text : layers) {
    for (const std::vector<int>& shape :
         std::vector<std::vector<int>>{{3, 2, 2, 3}, {4, 3}, {2, 5, 17}}) {
      for (bool in_place : {false, true}) {
        LayerCase c = make_case("type: 'BatchNorm' bottom: 'x' top: '" +
                                    std::string(in_place ? "x" : "y") + "' " + text,
                                {shape});
        c.phase = text.find("TEST") != std::string::npos ? caffe::TEST : caffe::TRAIN;
        // Running sums and weight away from 0, so fixed statistics are not trivial
        // and the running averages have something to fold into.
        c.blob_uniform_lo = 0.5f;
        c.blob_uniform_hi = 1.5f;
        c.grad.check_params = false;  // statistics, not learned
        check_layer_parity(c);
      }
    }
  }
}

TEST_CASE("GPU Silence zeroes the diffs of the bottoms that propagate down",
          "[gpu][layers][silence]") {
  SKIP_WITHOUT_GPU();
  caffe::LayerParameter p;
  parse_text_proto("name: 's' type: 'Silence'", "silence case", p);
  auto layer = create_layer(p);
  layer->set_mode(Mode::gpu);
  REQUIRE(layer->has_gpu_kernels());
  Blob a({2, 3}), b({4});
  a.set_diff(5.f);
  b.set_diff(7.f);
  layer->setup({&a, &b}, {});
  layer->forward({&a, &b}, {});
  layer->backward({}, {true, false}, {&a, &b});
  for (int i = 0; i < a.count(); ++i) REQUIRE(a.diff()[i] == 0.f);
  for (int i = 0; i < b.count(); ++i) REQUIRE(b.diff()[i] == 7.f);
}

}  // namespace cortado::test

namespace cortado::test {

TEST_CASE("GPU MVN matches the CPU layer: per channel, across channels, centring only",
          "[gpu][layers][mvn]") {
  for (const char* param :
       {"", "mvn_param { across_channels: true }", "mvn_param { normalize_variance: false }",
        "mvn_param { across_channels: true normalize_variance: false }"})
    check_layer_parity(make_case(std::string("type: 'MVN' ") + param, {{2, 3, 4, 5}}));
  // In place: backward reads only y and the row statistics, which forward kept.
  check_layer_parity(make_case("type: 'MVN' bottom: 'x' top: 'x'", {{2, 3, 4, 5}}));
}

TEST_CASE("GPU Reduction matches the CPU layer: each operation, axis and coeff",
          "[gpu][layers][reduction]") {
  for (const char* op : {"SUM", "ASUM", "SUMSQ", "MEAN"})
    for (const char* axis : {"0", "1", "-1"}) {
      LayerCase c = make_case(std::string("type: 'Reduction' reduction_param { operation: ") + op +
                                  " axis: " + axis + " coeff: 0.7 }",
                              {{2, 3, 4, 5}});
      c.grad.kink = 0.f;  // |x| at 0 (ASUM)
      c.grad.kink_range = 0.02f;
      check_layer_parity(c);
    }
}

TEST_CASE("GPU Tile matches the CPU layer on several axes", "[gpu][layers][tile]") {
  check_layer_parity(make_case("type: 'Tile' tile_param { tiles: 3 }", {{2, 3, 4}}));
  check_layer_parity(make_case("type: 'Tile' tile_param { axis: 0 tiles: 2 }", {{2, 3, 4}}));
  check_layer_parity(make_case("type: 'Tile' tile_param { axis: -1 tiles: 4 }", {{2, 3, 4}}));
}

}  // namespace cortado::test
