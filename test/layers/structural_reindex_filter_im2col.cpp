// BatchReindex (pick items by index), Filter (keep items by a selector) and Im2col
// (Convolution's column matrix as a top): hand-worked forwards and backwards,
// numeric gradients, reshapes and errors.
#include "neuron_structural_util.hpp"

namespace cortado::test {
namespace {

// Expects `f` to throw an Error whose message contains every part of `parts`.
template <class F>
void require_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const Error& e) {
    INFO("message: " << e.what());
    for (const auto& part : parts) REQUIRE(std::string(e.what()).find(part) != std::string::npos);
    return;
  }
  FAIL("no cortado::Error thrown");
}

}  // namespace

// ---- BatchReindex ----

TEST_CASE("BatchReindex picks items, repeating and skipping some", "[layers][batch_reindex]") {
  Blob x({3, 2}), idx({3}), y;
  set_values(x, {1, 2, 3, 4, 5, 6});
  set_values(idx, {2, 0, 2});  // item 2 twice, item 1 never
  auto layer = make_layer("type: 'BatchReindex'");
  layer->setup({&x, &idx}, {&y});
  REQUIRE(y.shape() == std::vector<int>{3, 2});
  layer->forward({&x, &idx}, {&y});
  require_near(values(y), {5, 6, 1, 2, 5, 6}, 0.f);

  idx.reshape({1});  // the top follows the number of indices
  set_values(idx, {1});
  layer->forward({&x, &idx}, {&y});
  REQUIRE(y.shape() == std::vector<int>{1, 2});
  require_near(values(y), {3, 4}, 0.f);
}

TEST_CASE("BatchReindex keeps the data's other axes", "[layers][batch_reindex]") {
  Blob x({2, 2, 1, 2}), idx({4}), y;
  set_values(x, {1, 2, 3, 4, 5, 6, 7, 8});
  set_values(idx, {1, 1, 0, 1});
  auto layer = make_layer("type: 'BatchReindex'");
  layer->setup({&x, &idx}, {&y});
  layer->forward({&x, &idx}, {&y});
  REQUIRE(y.shape() == std::vector<int>{4, 2, 1, 2});
  require_near(values(y), {5, 6, 7, 8, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}, 0.f);
}

TEST_CASE("BatchReindex backward sums repeated items and zeroes missing ones",
          "[layers][batch_reindex]") {
  Blob x({3, 2}), idx({3}), y;
  fill_gaussian(x, 0.f, 1.f, 3);
  set_values(idx, {2, 0, 2});
  auto layer = make_layer("type: 'BatchReindex'");
  layer->setup({&x, &idx}, {&y});
  layer->forward({&x, &idx}, {&y});
  std::vector<float> dy = {1, 2, 10, 20, 100, 200};
  std::copy(dy.begin(), dy.end(), y.mutable_diff());
  x.set_diff(-7.f);  // overwritten, not accumulated into
  layer->backward({&y}, {true, false}, {&x, &idx});
  require_near(diffs(x), {10, 20, 0, 0, 101, 202}, 0.f);
}

TEST_CASE("BatchReindex gradient matches numeric differences", "[layers][batch_reindex]") {
  Blob x({4, 3, 2}), idx({5}), y;
  fill_gaussian(x, 0.f, 1.f, 1701);
  set_values(idx, {3, 0, 3, 1, 3});
  auto layer = make_layer("type: 'BatchReindex'");
  layer->setup({&x, &idx}, {&y});
  GradCheck opts;
  opts.bottoms = {0};
  check_gradients(*layer, {&x, &idx}, {&y}, opts);
}

TEST_CASE("BatchReindex refuses bad indices and a gradient to them", "[layers][batch_reindex]") {
  Blob x({3, 2}), idx({2}), y;
  auto layer = make_layer("name: 'br' type: 'BatchReindex'");
  layer->setup({&x, &idx}, {&y});
  const std::string where = "layer 'br' (BatchReindex)";
  set_values(idx, {0, 3});
  require_error(
      [&] {
        layer->forward({&x, &idx}, {&y});
      },
      {where, "index 3", "position 1", "[0, 3)"});
  set_values(idx, {-1, 0});
  require_error([&] { layer->forward({&x, &idx}, {&y}); }, {where, "index -1", "position 0"});
  set_values(idx, {0, 1.5f});
  require_error([&] { layer->forward({&x, &idx}, {&y}); }, {where, "1.5", "position 1"});

  set_values(idx, {0, 1});
  layer->forward({&x, &idx}, {&y});
  require_error([&] { layer->backward({&y}, {true, true}, {&x, &idx}); }, {where, "indices"});
  REQUIRE_FALSE(layer->allow_force_backward(1));
  REQUIRE(layer->allow_force_backward(0));

  Blob idx2({2, 1});
  auto two_axes = make_layer("name: 'br' type: 'BatchReindex'");
  require_error([&] { two_axes->setup({&x, &idx2}, {&y}); }, {where, "1 axis"});
}

// ---- Filter ----

namespace {

// Two data bottoms of 4 items and a selector; tops shaped by setup.
struct FilterRun {
  Blob a{{4, 2}}, b{{4, 1, 2}}, sel, ta, tb;
  std::unique_ptr<Layer> layer = make_layer("name: 'flt' type: 'Filter'");
  explicit FilterRun(const std::vector<int>& sel_shape) : sel(sel_shape) {
    set_values(a, {1, 2, 3, 4, 5, 6, 7, 8});
    set_values(b, {10, 20, 30, 40, 50, 60, 70, 80});
    layer->setup(bottoms(), tops());
  }
  BlobVec bottoms() { return {&a, &b, &sel}; }
  BlobVec tops() { return {&ta, &tb}; }
  void forward(const std::vector<float>& s) {
    set_values(sel, s);
    layer->forward(bottoms(), tops());
  }
};

}  // namespace

TEST_CASE("Filter keeps the items whose selector is nonzero", "[layers][filter]") {
  for (auto shape : {std::vector<int>{4}, std::vector<int>{4, 1, 1, 1}}) {
    INFO("selector shape " << shape_string(shape));
    FilterRun r(shape);
    // Before any selector values exist, setup keeps every item (as Caffe does).
    REQUIRE(r.ta.shape() == std::vector<int>{4, 2});
    REQUIRE(r.tb.shape() == std::vector<int>{4, 1, 2});
    r.forward({1, 0, 0.5f, 0});  // items 0 and 2; any nonzero value selects
    REQUIRE(r.ta.shape() == std::vector<int>{2, 2});
    REQUIRE(r.tb.shape() == std::vector<int>{2, 1, 2});
    require_near(values(r.ta), {1, 2, 5, 6}, 0.f);
    require_near(values(r.tb), {10, 20, 50, 60}, 0.f);
  }
}

TEST_CASE("Filter reshapes its tops when the selector changes", "[layers][filter]") {
  FilterRun r({4});
  r.forward({1, 0, 1, 0});
  REQUIRE(r.ta.shape() == std::vector<int>{2, 2});
  r.forward({0, 1, 1, 1});
  REQUIRE(r.ta.shape() == std::vector<int>{3, 2});
  REQUIRE(r.tb.shape() == std::vector<int>{3, 1, 2});
  require_near(values(r.ta), {3, 4, 5, 6, 7, 8}, 0.f);
  require_near(values(r.tb), {30, 40, 50, 60, 70, 80}, 0.f);
  // Reshape alone (as Net::reshape calls it) also follows the selector.
  set_values(r.sel, {0, 0, 0, 1});
  r.layer->reshape(r.bottoms(), r.tops());
  REQUIRE(r.ta.shape() == std::vector<int>{1, 2});

  // Nothing selected: tops with no items, and all-zero gradients.
  r.forward({0, 0, 0, 0});
  REQUIRE(r.ta.shape() == std::vector<int>{0, 2});
  REQUIRE(r.tb.shape() == std::vector<int>{0, 1, 2});
  r.a.set_diff(5.f);
  r.layer->backward(r.tops(), {true, false, false}, r.bottoms());
  require_near(diffs(r.a), std::vector<float>(8, 0.f), 0.f);
}

TEST_CASE("Filter backward copies kept rows back and zeroes dropped ones", "[layers][filter]") {
  FilterRun r({4});
  r.forward({1, 0, 1, 0});
  set_values(r.ta, {0, 0, 0, 0});  // data does not matter; only the diffs
  std::vector<float> da = {1, 2, 3, 4}, db = {-1, -2, -3, -4};
  std::copy(da.begin(), da.end(), r.ta.mutable_diff());
  std::copy(db.begin(), db.end(), r.tb.mutable_diff());
  r.a.set_diff(9.f);
  r.b.set_diff(9.f);
  r.layer->backward(r.tops(), {true, true, false}, r.bottoms());
  require_near(diffs(r.a), {1, 2, 0, 0, 3, 4, 0, 0}, 0.f);
  require_near(diffs(r.b), {-1, -2, 0, 0, -3, -4, 0, 0}, 0.f);

  // Only the bottoms asked for are touched.
  r.a.set_diff(9.f);
  r.b.set_diff(9.f);
  r.layer->backward(r.tops(), {false, true, false}, r.bottoms());
  require_near(diffs(r.a), std::vector<float>(8, 9.f), 0.f);
  require_near(diffs(r.b), {-1, -2, 0, 0, -3, -4, 0, 0}, 0.f);
}

TEST_CASE("Filter gradient matches numeric differences", "[layers][filter]") {
  FilterRun r({4});
  fill_gaussian(r.a, 0.f, 1.f, 1701);
  fill_gaussian(r.b, 0.f, 1.f, 1702);
  r.forward({0, 1, 0, 1});  // the checker sizes its objective on the tops' current shapes
  GradCheck opts;
  opts.bottoms = {0, 1};
  check_gradients(*r.layer, r.bottoms(), r.tops(), opts);
}

TEST_CASE("Filter refuses mismatched blobs and a gradient to the selector", "[layers][filter]") {
  const std::string where = "layer 'flt' (Filter)";
  Blob a({4, 2}), b({3, 2}), sel({4}), ta, tb;
  auto layer = make_layer("name: 'flt' type: 'Filter'");
  require_error([&] { layer->setup({&a, &sel}, {&ta, &tb}); }, {where, "tops"});
  layer = make_layer("name: 'flt' type: 'Filter'");
  require_error([&] { layer->setup({&a, &b, &sel}, {&ta, &tb}); }, {where, "3 2 (6)", "4 (4)"});
  Blob wide({4, 2});
  layer = make_layer("name: 'flt' type: 'Filter'");
  require_error([&] { layer->setup({&a, &wide}, {&ta}); }, {where, "selector", "4 2 (8)"});
  Blob short_sel({3});
  layer = make_layer("name: 'flt' type: 'Filter'");
  require_error([&] { layer->setup({&a, &short_sel}, {&ta}); }, {where, "4 2 (8)", "3 (3)"});

  FilterRun r({4});
  r.forward({1, 1, 0, 0});
  require_error(
      [&] {
        r.layer->backward(r.tops(), {true, true, true}, r.bottoms());
      },
      {where, "selector"});
  REQUIRE_FALSE(r.layer->allow_force_backward(2));
  REQUIRE(r.layer->allow_force_backward(1));
}

// ---- Im2col ----

namespace {

// One 2 x 3 x 3 image holding 1..18 (channel 0: 1..9, channel 1: 10..18), so
// padding (0) is told apart from the pixels.
std::unique_ptr<Layer> im2col_1x2x3x3(const std::string& conv_param, Blob& x, Blob& y) {
  x.reshape({1, 2, 3, 3});
  for (int i = 0; i < 18; ++i) x.mutable_data()[i] = float(i + 1);
  auto layer = make_layer("name: 'i2c' type: 'Im2col' convolution_param { " + conv_param + " }");
  layer->setup({&x}, {&y});
  return layer;
}

}  // namespace

TEST_CASE("Im2col unrolls 2x2 windows", "[layers][im2col]") {
  Blob x, y;
  auto layer = im2col_1x2x3x3("kernel_size: 2", x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 8, 2, 2});
  layer->forward({&x}, {&y});
  // Row (c, i, j): channel c at offset (i, j) for output positions (0,0) (0,1) (1,0) (1,1).
  require_near(values(y), {1,  2,  4,  5,  2,  3,  5,  6,  4,  5,  7,  8,  5,  6,  8,  9,
                           10, 11, 13, 14, 11, 12, 14, 15, 13, 14, 16, 17, 14, 15, 17, 18},
               0.f);
}

TEST_CASE("Im2col with pad 1 and stride 2", "[layers][im2col]") {
  Blob x, y;
  auto layer = im2col_1x2x3x3("kernel_size: 2 pad: 1 stride: 2", x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 8, 2, 2});  // (3 + 2 - 2) / 2 + 1
  layer->forward({&x}, {&y});
  require_near(values(y), {0, 0, 0, 5,  0, 0, 4,  6,  0, 2,  0, 8,  1,  3,  7,  9,
                           0, 0, 0, 14, 0, 0, 13, 15, 0, 11, 0, 17, 10, 12, 16, 18},
               0.f);
}

TEST_CASE("Im2col with dilation 2", "[layers][im2col]") {
  Blob x, y;
  auto layer = im2col_1x2x3x3("kernel_size: 2 dilation: 2", x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 8, 1, 1});  // kernel extent 3
  layer->forward({&x}, {&y});
  require_near(values(y), {1, 3, 7, 9, 10, 12, 16, 18}, 0.f);

  // Backward puts each entry back on the pixel it came from; the rest get 0.
  std::vector<float> dy = {1, 2, 3, 4, 5, 6, 7, 8};
  std::copy(dy.begin(), dy.end(), y.mutable_diff());
  x.set_diff(-3.f);
  layer->backward({&y}, {true}, {&x});
  require_near(diffs(x), {1, 0, 2, 0, 0, 0, 3, 0, 4, 5, 0, 6, 0, 0, 0, 7, 0, 8}, 0.f);
}

TEST_CASE("Im2col backward sums overlapping windows", "[layers][im2col]") {
  Blob x, y;
  auto layer = im2col_1x2x3x3("kernel_size: 2", x, y);
  layer->forward({&x}, {&y});
  y.set_diff(1.f);
  x.set_diff(100.f);  // overwritten, not accumulated into
  layer->backward({&y}, {true}, {&x});
  // Each pixel's count of 2x2 windows: corners 1, edges 2, centre 4.
  const std::vector<float> plane = {1, 2, 1, 2, 4, 2, 1, 2, 1};
  std::vector<float> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  require_near(diffs(x), want, 0.f);
}

TEST_CASE("Im2col kernel_h/kernel_w, 1-d inputs and a batch", "[layers][im2col]") {
  Blob x, y;
  auto layer = im2col_1x2x3x3("kernel_h: 1 kernel_w: 3 stride_h: 2 stride_w: 1", x, y);
  REQUIRE(y.shape() == std::vector<int>{1, 6, 2, 1});
  layer->forward({&x}, {&y});
  require_near(values(y), {1, 7, 2, 8, 3, 9, 10, 16, 11, 17, 12, 18}, 0.f);

  Blob x1({1, 1, 4}), y1;  // N x C x W
  set_values(x1, {1, 2, 3, 4});
  auto one_d = make_layer("type: 'Im2col' convolution_param { kernel_size: 2 stride: 2 }");
  one_d->setup({&x1}, {&y1});
  REQUIRE(y1.shape() == std::vector<int>{1, 2, 2});
  one_d->forward({&x1}, {&y1});
  require_near(values(y1), {1, 3, 2, 4}, 0.f);

  // Each item of a batch is unrolled on its own.
  Blob xb({3, 2, 4, 5}), yb, xi({1, 2, 4, 5}), yi;
  fill_gaussian(xb, 0.f, 1.f, 5);
  const std::string p = "type: 'Im2col' convolution_param { kernel_size: 3 pad: 1 stride: 2 }";
  auto batch = make_layer(p), single = make_layer(p);
  batch->setup({&xb}, {&yb});
  single->setup({&xi}, {&yi});
  batch->forward({&xb}, {&yb});
  for (int n = 0; n < 3; ++n) {
    std::copy(xb.data() + n * 40, xb.data() + (n + 1) * 40, xi.mutable_data());
    single->forward({&xi}, {&yi});
    const int c = yi.count();
    require_near({yb.data() + n * c, yb.data() + (n + 1) * c}, values(yi), 0.f);
  }
}

TEST_CASE("Im2col gradient matches numeric differences", "[layers][im2col]") {
  for (const char* p : {"kernel_size: 2", "kernel_size: 3 pad: 1 stride: 2",
                        "kernel_size: 2 dilation: 2 pad: 1", "kernel_h: 2 kernel_w: 3 pad_w: 1"}) {
    INFO(p);
    Blob x({2, 2, 4, 5}), y;
    fill_gaussian(x, 0.f, 1.f, 1701);
    auto layer = make_layer(std::string("type: 'Im2col' convolution_param { ") + p + " }");
    layer->setup({&x}, {&y});
    check_gradients(*layer, {&x}, {&y});
  }
}

TEST_CASE("Im2col times the weights equals Convolution", "[layers][im2col]") {
  for (const char* p : {"kernel_size: 3 pad: 1 stride: 2", "kernel_size: 2 dilation: 2"}) {
    INFO(p);
    const int N = 2, C = 3, O = 4;
    Blob x({N, C, 5, 6}), cols, conv_top;
    fill_gaussian(x, 0.f, 1.f, 11);
    auto i2c = make_layer(std::string("type: 'Im2col' convolution_param { ") + p + " }");
    auto conv =
        make_layer("type: 'Convolution' convolution_param { num_output: 4 bias_term: false " +
                   std::string(p) + " }");
    i2c->setup({&x}, {&cols});
    conv->setup({&x}, {&conv_top});
    fill_gaussian(*conv->blobs()[0], 0.f, 1.f, 12);
    i2c->forward({&x}, {&cols});
    conv->forward({&x}, {&conv_top});
    const int K = cols.shape(1), S = cols.shape(2) * cols.shape(3);
    REQUIRE(conv_top.shape() == std::vector<int>{N, O, cols.shape(2), cols.shape(3)});
    const float* w = conv->blobs()[0]->data();  // O x K
    std::vector<float> want;
    for (int n = 0; n < N; ++n)
      for (int o = 0; o < O; ++o)
        for (int s = 0; s < S; ++s) {
          float sum = 0.f;
          for (int k = 0; k < K; ++k) sum += w[o * K + k] * cols.data()[(n * K + k) * S + s];
          want.push_back(sum);
        }
    require_near(values(conv_top), want, 1e-4f);
  }
}

TEST_CASE("Im2col refuses bad parameters", "[layers][im2col]") {
  const std::string where = "layer 'i2c' (Im2col)";
  for (auto [p, part] : std::vector<std::pair<std::string, std::string>>{
           {"", "kernel_size must be given"},
           {"kernel_size: 0", "kernel"},
           {"kernel_size: 2 stride: 0", "stride"},
           {"kernel_size: 2 dilation: 0", "dilation"},
           {"kernel_size: 4", "gives no output"},
           {"kernel_size: 2 kernel_size: 2 kernel_size: 2", "3 values"},
           {"kernel_h: 2", "together"},
           {"kernel_size: 2 kernel_h: 2 kernel_w: 2", "not both"},
           {"kernel_size: 2 axis: 3", "spatial axes"},
           {"kernel_size: 2 axis: 4", "out of range"}}) {
    INFO(p);
    Blob x, y;
    require_error([&] { im2col_1x2x3x3(p, x, y); }, {where, part});
  }
  Blob x5({1, 1, 2, 2, 2}), y;  // three spatial axes
  auto layer = make_layer("name: 'i2c' type: 'Im2col' convolution_param { kernel_size: 1 }");
  require_error([&] { layer->setup({&x5}, {&y}); }, {where, "spatial axes"});
}

}  // namespace cortado::test
