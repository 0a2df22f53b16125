#include <catch2/catch.hpp>

#include "caffe.pb.h"
#include "net/insert_splits.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

using namespace cortado;

namespace {

caffe::NetParameter split(const std::string& text) {
  caffe::NetParameter in, out;
  parse_text_proto(text, "net", in);
  insert_splits(in, &out);
  return out;
}

std::vector<std::string> names(const caffe::NetParameter& net) {
  std::vector<std::string> n;
  for (const auto& l : net.layer()) n.push_back(l.name());
  return n;
}

}  // namespace

TEST_CASE("a top used twice gets a Split layer with Caffe's names", "[engine][splits]") {
  // LeNet's test tail: label feeds accuracy and loss, ip2 likewise.
  const auto net = split(R"(
    layer { name: "mnist" type: "Data" top: "data" top: "label" }
    layer { name: "ip2" type: "InnerProduct" bottom: "data" top: "ip2" }
    layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy" }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
  )");
  using V = std::vector<std::string>;
  REQUIRE(names(net) == V{"mnist", "label_mnist_1_split", "ip2", "ip2_ip2_0_split", "accuracy", "loss"});
  const auto& label_split = net.layer(1);
  CHECK(label_split.type() == "Split");
  CHECK(label_split.bottom(0) == "label");
  CHECK(label_split.top(0) == "label_mnist_1_split_0");
  CHECK(label_split.top(1) == "label_mnist_1_split_1");
  CHECK(net.layer(4).bottom(0) == "ip2_ip2_0_split_0");
  CHECK(net.layer(4).bottom(1) == "label_mnist_1_split_0");
  CHECK(net.layer(5).bottom(0) == "ip2_ip2_0_split_1");
  CHECK(net.layer(5).bottom(1) == "label_mnist_1_split_1");
}

TEST_CASE("a single consumer and in-place chains need no split", "[engine][splits]") {
  const auto net = split(R"(
    layer { name: "in" type: "Input" top: "x" }
    layer { name: "relu" type: "ReLU" bottom: "x" top: "x" }
    layer { name: "drop" type: "Dropout" bottom: "x" top: "x" }
    layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" }
  )");
  CHECK(net.layer_size() == 4);
}

TEST_CASE("the split follows the last producer of an in-place blob", "[engine][splits]") {
  const auto net = split(R"(
    layer { name: "in" type: "Input" top: "x" }
    layer { name: "relu" type: "ReLU" bottom: "x" top: "x" }
    layer { name: "a" type: "ReLU" bottom: "x" top: "a" }
    layer { name: "b" type: "ReLU" bottom: "x" top: "b" }
  )");
  REQUIRE(net.layer_size() == 5);
  CHECK(net.layer(2).name() == "x_relu_0_split");
  CHECK(net.layer(3).bottom(0) == "x_relu_0_split_0");
  CHECK(net.layer(4).bottom(0) == "x_relu_0_split_1");
}

TEST_CASE("a loss-weighted top used elsewhere moves its loss weight to the split", "[engine][splits]") {
  const auto net = split(R"(
    layer { name: "in" type: "Input" top: "x" }
    layer { name: "l2" type: "EuclideanLoss" bottom: "x" bottom: "x" top: "l" loss_weight: 2 }
    layer { name: "use" type: "ReLU" bottom: "l" top: "u" }
  )");
  // x feeds two bottoms of l2; l is a loss (weight 2) and a bottom of "use".
  REQUIRE(net.layer_size() == 5);
  const auto& l2 = net.layer(2);
  CHECK(l2.name() == "l2");
  CHECK(l2.loss_weight_size() == 0);
  const auto& s = net.layer(3);
  CHECK(s.name() == "l_l2_0_split");
  REQUIRE(s.loss_weight_size() == 2);
  CHECK(s.loss_weight(0) == 2.f);
  CHECK(s.loss_weight(1) == 0.f);
  CHECK(net.layer(4).bottom(0) == "l_l2_0_split_1");
}

TEST_CASE("a bottom that nothing before produces is an error naming the layer", "[engine][splits]") {
  CHECK_THROWS_WITH(split(R"(layer { name: "ip" type: "InnerProduct" bottom: "nothing" top: "y" })"),
                    Catch::Contains("layer 'ip'") && Catch::Contains("'nothing'"));
}
