// The layer table on the GPU: structural layers (combining, broadcasting, copying,
// reshaping, ranking, normalising), each case compared with the CPU layer and
// gradient-checked on the device (test/gpu/layer_parity.hpp).
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>

#include "gpu_test_util.hpp"
#include "layer_parity.hpp"
#include "layers/graph_slots.hpp"
#include "layers/registry.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cuda_runtime_api.h>

#include "cuda/util/context.hpp"
#endif

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

namespace cortado::test {

TEST_CASE("GPU Parameter matches the CPU layer: a shaped blob and a scalar",
          "[gpu][layers][parameter]") {
  for (const char* param : {"parameter_param { shape { dim: 2 dim: 3 } }", ""}) {
    LayerCase c = make_case(std::string("type: 'Parameter' ") + param, {});
    c.blob_uniform_lo = -1.f;  // the blob starts at zero
    c.blob_uniform_hi = 1.f;
    check_layer_parity(c);
  }
}

TEST_CASE("GPU Embed matches the CPU layer: repeated indices, with and without bias",
          "[gpu][layers][embed]") {
  for (const char* bias : {"true", "false"}) {
    // 12 indices into 5 rows: rows picked several times sum their gradients.
    LayerCase c = make_case(
        std::string("type: 'Embed' embed_param { input_dim: 5 num_output: 4 bias_term: ") + bias +
            " weight_filler { type: 'gaussian' } bias_filler { type: 'gaussian' } }",
        {{3, 4}});
    c.label_bottoms = {0};
    c.label_classes = 5;
    check_layer_parity(c);  // the numeric check: the weight and bias only
  }
}

TEST_CASE("GPU BatchReindex matches the CPU layer: repeated and skipped items",
          "[gpu][layers][batch_reindex]") {
  // 7 picks of 4 items (the labels' seed picks some twice or more), and of 5 plain values.
  const std::vector<std::pair<std::vector<int>, int>> data = {{{4, 3, 2}, 7}, {{5}, 9}};
  for (const auto& [shape, picks] : data) {
    LayerCase c = make_case("type: 'BatchReindex'", {shape, {picks}});
    c.label_bottoms = {1};
    c.label_classes = shape[0];
    check_layer_parity(c);
  }
}

TEST_CASE("GPU Filter matches the CPU layer: keeping some, none or all items",
          "[gpu][layers][filter]") {
  // The selector is bottom 2, integers in [0, classes): 2 keeps some, 1 none, and 1000
  // all (none of these 4 draws is 0, checked below with check_layer_parity's fill).
  Blob draws({4});
  fill_uniform(draws, 0.f, 1000.f, 42);
  for (int i = 0; i < 4; ++i) REQUIRE(int(draws.data()[i]) % 1000 != 0);
  for (int classes : {2, 1, 1000}) {
    for (const std::vector<int>& sel : {std::vector<int>{4}, std::vector<int>{4, 1, 1}}) {
      INFO("selector classes " << classes);
      LayerCase c = make_case("type: 'Filter' top: 'a' top: 'b'", {{4, 2}, {4, 1, 3}, sel});
      c.label_bottoms = {2};
      c.label_classes = classes;
      check_layer_parity(c);
    }
  }
}

TEST_CASE("GPU Im2col matches the CPU layer: pad, stride, dilation, rectangles, 1-d",
          "[gpu][layers][im2col]") {
  for (const char* p :
       {"kernel_size: 2", "kernel_size: 3 pad: 1 stride: 2", "kernel_size: 2 dilation: 2 pad: 1",
        "kernel_h: 2 kernel_w: 3 pad_w: 1", "kernel_h: 1 kernel_w: 3 stride_h: 2 stride_w: 1",
        "kernel_size: 3 pad: 2 stride: 3 dilation: 2"})
    check_layer_parity(
        make_case(std::string("type: 'Im2col' convolution_param { ") + p + " }", {{2, 2, 4, 5}}));
  check_layer_parity(
      make_case("type: 'Im2col' convolution_param { kernel_size: 2 stride: 2 }", {{2, 3, 7}}));
}

TEST_CASE("GPU SPP matches the CPU layer: MAX and AVE, 1 to 3 levels, odd sizes",
          "[gpu][layers][spp]") {
  // 7 x 9 in 4x4 bins: kernels 2 x 3, pads 1 x 2; 5 x 5 in 2x2 bins: kernel 3, pad 1.
  const std::vector<std::pair<int, std::vector<int>>> shapes = {
      {1, {2, 2, 7, 9}}, {3, {2, 2, 7, 9}}, {2, {1, 2, 5, 5}}};
  for (const auto& [levels, shape] : shapes) {
    for (const char* pool : {"MAX", "AVE"}) {
      INFO(pool << " pyramid_height " << levels);
      LayerCase c = make_case(std::string("type: 'SPP' spp_param { pool: ") + pool +
                                  " pyramid_height: " + std::to_string(levels) + " }",
                              {shape});
      if (std::string(pool) == "MAX") c.distinct_spacing = 0.05f;  // no step moves a maximum
      check_layer_parity(c);
    }
  }
}

namespace {

// An index layer built on the CPU and on the GPU from `layer`, fed the same bottoms: data
// bottoms (all but index_bottom) with noise, the index bottom with `indices`.
struct IndexPair {
  std::unique_ptr<Layer> cpu, gpu;
  std::vector<std::unique_ptr<Blob>> cb, gb;
  Blob ct, gt;
  int index_bottom;

  IndexPair(const std::string& layer, const std::vector<std::vector<int>>& shapes, int index)
      : index_bottom(index) {
    caffe::LayerParameter p;
    parse_text_proto(layer, "index case", p);
    cpu = create_layer(p);
    gpu = create_layer(p);
    for (const auto& s : shapes) {
      cb.push_back(std::make_unique<Blob>(s));
      gb.push_back(std::make_unique<Blob>(s));
      fill_gaussian(*cb.back(), 0.f, 1.f, 3);
      fill_gaussian(*gb.back(), 0.f, 1.f, 3);
    }
    cpu->setup(bottoms(cb), {&ct});
    gpu->setup(bottoms(gb), {&gt});
    for (size_t i = 0; i < cpu->blobs().size(); ++i)
      std::copy_n(cpu->blobs()[i]->data(), cpu->blobs()[i]->count(),
                  gpu->blobs()[i]->mutable_data());
    gpu->set_mode(Mode::gpu);
  }
  static BlobVec bottoms(const std::vector<std::unique_ptr<Blob>>& v) {
    BlobVec r;
    for (const auto& b : v) r.push_back(b.get());
    return r;
  }
  void set_indices(const std::vector<float>& v) {
    for (auto* b : {cb[index_bottom].get(), gb[index_bottom].get()}) {
      b->reshape({int(v.size())});
      std::copy(v.begin(), v.end(), b->mutable_data());
    }
  }
  // The Error a forward throws, or "" when it throws none.
  static std::string error(Layer& layer, const BlobVec& bottom, Blob& top) {
    try {
      layer.forward(bottom, {&top});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  std::string cpu_error() { return error(*cpu, bottoms(cb), ct); }
  std::string gpu_error() { return error(*gpu, bottoms(gb), gt); }
};

// 1000 good indices but for two, the first at 600: threads of the check's block see
// several positions each, and the lowest bad one is reported.
std::vector<float> long_indices(float bad) {
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 3);
  v[600] = bad;
  v[900] = -1.f;
  return v;
}

}  // namespace

TEST_CASE("GPU Embed and BatchReindex refuse bad indices with the CPU's Error",
          "[gpu][layers][embed][batch_reindex]") {
  SKIP_WITHOUT_GPU();
  const std::vector<std::tuple<std::string, std::vector<std::vector<int>>, int>> layers = {
      {"name: 'emb' type: 'Embed' embed_param { input_dim: 4 num_output: 3 "
       "weight_filler { type: 'gaussian' } }",
       {{2}},
       0},
      {"name: 'br' type: 'BatchReindex'", {{4, 2}, {2}}, 1}};
  for (const auto& [layer, shapes, index] : layers) {
    IndexPair pair(layer, shapes, index);
    for (const std::vector<float>& bad : {std::vector<float>{0, 4},
                                          {-1, 0},
                                          {0, 1.5f},
                                          {0, NAN},
                                          {2, 7, -1},
                                          long_indices(4.f),
                                          long_indices(NAN)}) {
      INFO(layer << ", " << bad.size() << " indices");
      pair.set_indices(bad);
      const std::string cpu = pair.cpu_error();
      REQUIRE_THAT(cpu, Catch::Contains("is not an integer in [0, 4)"));
      CHECK(pair.gpu_error() == cpu);
    }
    // The check is made again on every forward: good indices pass after bad ones.
    pair.set_indices({3, 0, 3});
    CHECK(pair.gpu_error().empty());
    CHECK(pair.cpu_error().empty());
    require_close(pair.gt.data(), pair.ct.data(), pair.ct.count(), 1e-6f);
    // And no gradient to the indices, as on the CPU.
    const std::vector<bool> down(shapes.size(), true);
    REQUIRE_THROWS_WITH(pair.gpu->backward({&pair.gt}, down, IndexPair::bottoms(pair.gb)),
                        Catch::Contains("cannot backpropagate to the indices"));
  }
}

TEST_CASE("GPU Embed and BatchReindex in graph mode: a bad index in the error slot",
          "[gpu][layers][embed][batch_reindex]") {
  SKIP_WITHOUT_GPU();
  const std::vector<std::tuple<std::string, std::vector<std::vector<int>>, int>> layers = {
      {"name: 'emb' type: 'Embed' embed_param { input_dim: 4 num_output: 3 }", {{2}}, 0},
      {"name: 'br' type: 'BatchReindex'", {{4, 2}, {2}}, 1}};
  for (const auto& [layer, shapes, index] : layers) {
    INFO(layer);
    IndexPair pair(layer, shapes, index);
    REQUIRE(pair.gpu->graph_safe());
    Blob slot({2});  // error[0], error[1]: ints in float slots
    GraphSlots slots;
    slots.error = reinterpret_cast<int*>(slot.mutable_gpu_data());
    pair.gpu->set_graph_slots(&slots);
    for (const std::vector<float>& indices : {std::vector<float>{1, 0, 5, -2}, {0, 2.5f, 3}}) {
      pair.set_indices(indices);
      slot.mutable_gpu_data();            // the kernel writes it: read it back anew below
      REQUIRE(pair.gpu_error().empty());  // graph mode does not read back
      int code[2];
      std::memcpy(code, slot.data(), sizeof code);
      REQUIRE(code[0] != 0);
      std::string graph;
      try {
        pair.gpu->raise_graph_error(code[0], code[1]);
      } catch (const Error& e) {
        graph = e.what();
      }
      CHECK(graph == pair.cpu_error());
    }
    pair.set_indices({3, 1});
    slot.mutable_gpu_data();
    REQUIRE(pair.gpu_error().empty());
    int code[2];
    std::memcpy(code, slot.data(), sizeof code);
    CHECK(code[0] == 0);  // written on every forward, also when all is well
  }
}

TEST_CASE("GPU SPP, Parameter, Im2col, Embed, BatchReindex queue device work only (captured)",
          "[gpu][layers][spp][parameter][im2col][embed][batch_reindex]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  // A graph-safe layer's forward and backward must capture into a CUDA graph: a host
  // read, a CPU fallback (SPP's inner Poolings left in CPU mode) or an allocation would
  // spoil the capture. The replay must then give eager mode's top.
  const std::vector<std::tuple<std::string, std::vector<std::vector<int>>, int>> layers = {
      {"type: 'SPP' spp_param { pool: MAX pyramid_height: 3 }", {{2, 2, 7, 9}}, -1},
      {"type: 'SPP' spp_param { pool: AVE pyramid_height: 1 }", {{2, 2, 5, 5}}, -1},
      {"type: 'Parameter' parameter_param { shape { dim: 3 } }", {}, -1},
      {"type: 'Im2col' convolution_param { kernel_size: 3 pad: 1 stride: 2 }", {{2, 2, 4, 5}}, -1},
      {"type: 'Embed' embed_param { input_dim: 4 num_output: 3 weight_filler { type: 'gaussian' "
       "} bias_filler { type: 'gaussian' } }",
       {{5}},
       0},
      {"type: 'BatchReindex'", {{4, 3}, {6}}, 1}};
  for (const auto& [layer, shapes, index] : layers) {
    INFO(layer);
    caffe::LayerParameter p;
    parse_text_proto(layer, "capture case", p);
    auto l = create_layer(p);
    std::vector<std::unique_ptr<Blob>> bottoms;
    BlobVec bottom;
    for (size_t i = 0; i < shapes.size(); ++i) {
      bottoms.push_back(std::make_unique<Blob>(shapes[i]));
      fill_gaussian(*bottoms.back(), 0.f, 1.f, 5 + unsigned(i));
      if (int(i) == index)
        for (int k = 0; k < bottoms.back()->count(); ++k)
          bottoms.back()->mutable_data()[k] = float(k * 7 % 4);
      bottom.push_back(bottoms.back().get());
    }
    Blob top;
    l->setup(bottom, {&top});
    l->set_mode(Mode::gpu);
    REQUIRE(l->graph_safe());
    Blob slot({2});
    GraphSlots slots;
    slots.error = reinterpret_cast<int*>(slot.mutable_gpu_data());
    if (index >= 0) l->set_graph_slots(&slots);
    std::vector<bool> down;
    for (size_t i = 0; i < shapes.size(); ++i) down.push_back(int(i) != index);
    // Eagerly first: allocations happen on the first pass, outside the capture.
    l->forward(bottom, {&top});
    Blob noise(top.shape());
    fill_gaussian(noise, 0.f, 1.f, 9);
    std::copy_n(noise.data(), noise.count(), top.mutable_diff());
    l->backward({&top}, down, bottom);
    const std::vector<float> eager(top.data(), top.data() + top.count());
    for (Blob* b : bottom) b->gpu_data();  // every blob on the device before the capture
    top.gpu_diff();

    cudaStream_t stream = gpu::Context::get().stream();
    REQUIRE(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
    std::string failure;
    try {
      l->forward(bottom, {&top});
      l->backward({&top}, down, bottom);
    } catch (const Error& e) {
      failure = e.what();
    }
    cudaGraph_t graph = nullptr;
    const cudaError_t end = cudaStreamEndCapture(stream, &graph);
    cudaGetLastError();
    CHECK(failure == "");
    REQUIRE(end == cudaSuccess);
    cudaGraphExec_t exec = nullptr;
    REQUIRE(cudaGraphInstantiateWithFlags(&exec, graph, 0) == cudaSuccess);
    REQUIRE(cudaMemsetAsync(top.mutable_gpu_data(), 0, sizeof(float) * top.count(), stream) ==
            cudaSuccess);
    REQUIRE(cudaGraphLaunch(exec, stream) == cudaSuccess);
    REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
    require_close(top.data(), eager.data(), top.count(), 0.f);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
#endif
}

}  // namespace cortado::test
