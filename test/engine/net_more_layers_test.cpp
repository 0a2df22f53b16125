// Nets with Caffe's less common layers (testdata/nets/siamese_contrastive.prototxt,
// more_layers.prototxt): built with Caffe's shapes, and the whole net's gradient
// with respect to every learnable blob checked against numeric differences.
#include <catch2/catch.hpp>
#include <cmath>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "support/gradient_checker.hpp"
#include "support/more_layers_inputs.hpp"
#include "support/tool_runner.hpp"
#include "util/rng.hpp"

using namespace cortado;

namespace {

using Shape = std::vector<int>;

std::unique_ptr<Net> load(const std::string& name) {
  seed_global_rng(11);
  return Net::from_file(test::testdata("nets/" + name), caffe::TRAIN);
}

}  // namespace

TEST_CASE("a siamese net with shared towers and ContrastiveLoss builds and back-propagates",
          "[engine][net][siamese]") {
  auto net = load("siamese_contrastive.prototxt");
  CHECK(net->blob_by_name("data")->shape() == Shape{4, 1, 6, 6});
  CHECK(net->blob_by_name("feat")->shape() == Shape{4, 2});
  CHECK(net->blob_by_name("feat_p")->shape() == Shape{4, 2});
  CHECK(net->blob_by_name("loss")->shape() == Shape{});
  CHECK(net->learnable_params().size() == 4u);  // both towers share all four blobs
  test::fill_more_layers_inputs(*net);
  CHECK(net->forward() > 0.f);
  test::check_net_gradients(*net);
}

TEST_CASE(
    "a net of SPP, Swish, MVN, Clip, Parameter, Embed, Tile, Reduction, Threshold, Im2col, "
    "BatchReindex, Filter, LSTM and three more losses builds with Caffe's shapes",
    "[engine][net][more_layers]") {
  auto net = load("more_layers.prototxt");
  CHECK(net->blob_by_name("spp")->shape() == Shape{3, 2 * (1 + 4)});
  CHECK(net->blob_by_name("mvn")->shape() == Shape{3, 4});
  CHECK(net->blob_by_name("bias")->shape() == Shape{3, 4});
  CHECK(net->blob_by_name("embedded")->shape() == Shape{3, 2, 2});
  CHECK(net->blob_by_name("tiled")->shape() == Shape{3, 8});
  CHECK(net->blob_by_name("energy")->shape() == Shape{3});
  CHECK(net->blob_by_name("energy_sum")->shape() == Shape{});
  CHECK(net->blob_by_name("on")->shape() == Shape{3});
  CHECK(net->blob_by_name("ip_r")->shape() == Shape{3, 4});
  CHECK(net->blob_by_name("cols")->shape() == Shape{3, 2 * 3 * 3, 2, 2});
  CHECK(net->blob_by_name("lstm")->shape() == Shape{2, 3, 4});
  CHECK(net->blob_by_name("last")->shape() == Shape{3, 4});
  // ip, ip_e and ip_c (weight and bias each), Parameter (1), Embed (2), LSTM (3).
  CHECK(net->learnable_params().size() == 12u);
  // Filter keeps the selected items once their values are known.
  test::fill_more_layers_inputs(*net);
  net->forward();
  CHECK(net->blob_by_name("kept")->shape() == Shape{2, 4});
}

TEST_CASE("the net of less common layers has the gradient numeric differences give",
          "[engine][net][more_layers]") {
  auto net = load("more_layers.prototxt");
  test::fill_more_layers_inputs(*net);
  const float loss = net->forward();
  CHECK(std::isfinite(loss));
  CHECK(loss > 0.f);
  test::check_net_gradients(*net);
}
