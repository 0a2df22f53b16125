#include <catch2/catch.hpp>

#include "caffe.pb.h"
#include "net/upgrade.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

using namespace cortado;

namespace {

caffe::NetParameter upgraded(const std::string& text) {
  caffe::NetParameter net;
  parse_text_proto(text, "net", net);
  upgrade_net_as_needed("net", &net);
  return net;
}

}  // namespace

TEST_CASE("V1 layers become layer with type strings and param specs", "[engine][upgrade]") {
  const auto net = upgraded(R"(
    name: "v1"
    layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
             blobs_lr: 1 blobs_lr: 2 weight_decay: 250 weight_decay: 0
             convolution_param { num_output: 4 kernel_size: 3 } }
    layers { name: "loss" type: SOFTMAX_LOSS bottom: "conv1" bottom: "label" top: "loss"
             include { phase: TRAIN } }
    layers { name: "shared" type: INNER_PRODUCT bottom: "conv1" top: "ip"
             param: "w" param: "b" blob_share_mode: PERMISSIVE inner_product_param { num_output: 2 } }
  )");
  REQUIRE(net.layers_size() == 0);
  REQUIRE(net.layer_size() == 3);
  const auto& c = net.layer(0);
  CHECK(c.type() == "Convolution");
  CHECK(c.convolution_param().num_output() == 4);
  REQUIRE(c.param_size() == 2);
  CHECK(c.param(0).lr_mult() == 1.f);
  CHECK(c.param(1).lr_mult() == 2.f);
  CHECK(c.param(0).decay_mult() == 250.f);
  CHECK(c.param(1).decay_mult() == 0.f);
  CHECK(net.layer(1).type() == "SoftmaxWithLoss");
  CHECK(net.layer(1).include(0).phase() == caffe::TRAIN);
  const auto& s = net.layer(2);
  CHECK(s.type() == "InnerProduct");
  CHECK(s.param(0).name() == "w");
  CHECK(s.param(0).share_mode() == caffe::ParamSpec::PERMISSIVE);
  CHECK(s.param(1).name() == "b");
}

TEST_CASE("every V1 enum type maps to its type string", "[engine][upgrade]") {
  CHECK(std::string(v1_layer_type_name(caffe::V1LayerParameter::LRN)) == "LRN");
  CHECK(std::string(v1_layer_type_name(caffe::V1LayerParameter::POOLING)) == "Pooling");
  CHECK(std::string(v1_layer_type_name(caffe::V1LayerParameter::DATA)) == "Data");
  CHECK(std::string(v1_layer_type_name(caffe::V1LayerParameter::TANH)) == "TanH");
  CHECK(std::string(v1_layer_type_name(caffe::V1LayerParameter::DECONVOLUTION)) == "Deconvolution");
  const auto* e = caffe::V1LayerParameter::LayerType_descriptor();
  for (int i = 0; i < e->value_count(); ++i) {
    const int v = e->value(i)->number();
    if (v == caffe::V1LayerParameter::NONE) continue;
    INFO(e->value(i)->name());
    CHECK(std::string(v1_layer_type_name(v)).size() > 0);
  }
}

TEST_CASE("net-level input_dim becomes an Input layer in front", "[engine][upgrade]") {
  const auto net = upgraded(R"(
    input: "data" input_dim: 1 input_dim: 3 input_dim: 32 input_dim: 32
    input: "label" input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1
    layer { name: "relu" type: "ReLU" bottom: "data" top: "data" }
  )");
  CHECK(net.input_size() == 0);
  CHECK(net.input_dim_size() == 0);
  REQUIRE(net.layer_size() == 2);
  const auto& in = net.layer(0);
  CHECK(in.name() == "input");
  CHECK(in.type() == "Input");
  REQUIRE(in.top_size() == 2);
  CHECK(in.top(1) == "label");
  REQUIRE(in.input_param().shape_size() == 2);
  CHECK(in.input_param().shape(0).dim_size() == 4);
  CHECK(in.input_param().shape(0).dim(1) == 3);
  CHECK(net.layer(1).name() == "relu");
}

TEST_CASE("input_shape becomes an Input layer; bad input fields are errors", "[engine][upgrade]") {
  const auto net = upgraded(R"(input: "x" input_shape { dim: 2 dim: 5 })");
  REQUIRE(net.layer_size() == 1);
  CHECK(net.layer(0).input_param().shape(0).dim(1) == 5);
  caffe::NetParameter bad;
  parse_text_proto(R"(input: "x" input_dim: 1 input_dim: 2)", "net", bad);
  CHECK_THROWS_WITH(upgrade_net_as_needed("bad.prototxt", &bad),
                    Catch::Contains("bad.prototxt") && Catch::Contains("4 values per input"));
  // A legacy caffemodel may hold input names alone: they are simply dropped.
  const auto names_only = upgraded(R"(input: "data" layer { name: "x" type: "ReLU" })");
  CHECK(names_only.input_size() == 0);
  CHECK(names_only.layer_size() == 1);
}

TEST_CASE("V1 data-layer transformation fields move to transform_param", "[engine][upgrade]") {
  const auto net = upgraded(R"(
    layers { name: "d" type: DATA top: "data"
             data_param { source: "db" batch_size: 4 scale: 0.5 mean_file: "m.binaryproto"
                          crop_size: 7 mirror: true } }
  )");
  const auto& d = net.layer(0);
  CHECK(d.type() == "Data");
  CHECK(d.transform_param().scale() == 0.5f);
  CHECK(d.transform_param().mean_file() == "m.binaryproto");
  CHECK(d.transform_param().crop_size() == 7u);
  CHECK(d.transform_param().mirror());
  CHECK_FALSE(d.data_param().has_scale());
  CHECK_FALSE(d.data_param().has_mean_file());
  CHECK(d.data_param().source() == "db");
}

TEST_CASE("V0 nets: padding layers fold into convs, flat fields move to their messages",
          "[engine][upgrade]") {
  const auto net = upgraded(R"(
    name: "v0"
    input: "data" input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
    layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
    layers { layer { name: "conv1" type: "conv" num_output: 4 kernelsize: 5 stride: 1
                     weight_filler { type: "gaussian" std: 0.01 } blobs_lr: 1 blobs_lr: 2 }
             bottom: "pad1" top: "conv1" }
    layers { layer { name: "pool1" type: "pool" pool: AVE kernelsize: 3 stride: 2 }
             bottom: "conv1" top: "pool1" }
    layers { layer { name: "norm1" type: "lrn" local_size: 3 alpha: 0.0001 beta: 0.75 }
             bottom: "pool1" top: "norm1" }
    layers { layer { name: "fc" type: "innerproduct" num_output: 10 biasterm: false }
             bottom: "norm1" top: "fc" }
    layers { layer { name: "drop" type: "dropout" dropout_ratio: 0.3 } bottom: "fc" top: "fc" }
  )");
  REQUIRE(net.layer_size() == 6);  // Input + 5 (the padding layer is gone)
  CHECK(net.layer(0).type() == "Input");
  const auto& conv = net.layer(1);
  CHECK(conv.name() == "conv1");
  CHECK(conv.type() == "Convolution");
  CHECK(conv.bottom(0) == "data");
  REQUIRE(conv.convolution_param().pad_size() == 1);
  CHECK(conv.convolution_param().pad(0) == 2u);
  CHECK(conv.convolution_param().kernel_size(0) == 5u);
  CHECK(conv.convolution_param().num_output() == 4u);
  CHECK(conv.convolution_param().weight_filler().std() == Approx(0.01f));
  CHECK(conv.param(1).lr_mult() == 2.f);
  const auto& pool = net.layer(2);
  CHECK(pool.type() == "Pooling");
  CHECK(pool.pooling_param().pool() == caffe::PoolingParameter::AVE);
  CHECK(pool.pooling_param().kernel_size() == 3u);
  CHECK(pool.pooling_param().stride() == 2u);
  CHECK(net.layer(3).lrn_param().local_size() == 3u);
  CHECK_FALSE(net.layer(4).inner_product_param().bias_term());
  CHECK(net.layer(5).dropout_param().dropout_ratio() == Approx(0.3f));
}

TEST_CASE("V0 data layers keep source, batch size and transformation", "[engine][upgrade]") {
  const auto net = upgraded(R"(
    layers { layer { name: "d" type: "data" source: "train_db" batchsize: 32 scale: 0.00390625
                     meanfile: "mean.binaryproto" cropsize: 24 mirror: true rand_skip: 5 }
             top: "data" top: "label" }
  )");
  const auto& d = net.layer(0);
  CHECK(d.type() == "Data");
  CHECK(d.data_param().source() == "train_db");
  CHECK(d.data_param().batch_size() == 32u);
  CHECK(d.data_param().rand_skip() == 5u);
  CHECK(d.transform_param().scale() == 0.00390625f);
  CHECK(d.transform_param().mean_file() == "mean.binaryproto");
  CHECK(d.transform_param().crop_size() == 24u);
  CHECK(d.transform_param().mirror());
}

TEST_CASE("old BatchNorm param specs are frozen", "[engine][upgrade]") {
  const auto net = upgraded(R"(
    layer { name: "bn" type: "BatchNorm" param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 } }
  )");
  for (const auto& p : net.layer(0).param()) {
    CHECK(p.lr_mult() == 0.f);
    CHECK(p.decay_mult() == 0.f);
  }
}

TEST_CASE("the V1 third-party prototxts read and upgrade from file", "[engine][upgrade]") {
  caffe::NetParameter net;
  read_net_param_text(test::testdata("thirdparty/cifar10_full_everpeace_v1/net_v1.prototxt"), &net);
  REQUIRE(net.layer_size() == 14);
  CHECK(net.layer(0).type() == "Input");
  CHECK(net.layer(4).type() == "LRN");
  CHECK(net.layer(4).lrn_param().norm_region() == caffe::LRNParameter::WITHIN_CHANNEL);
  CHECK(net.layer(12).param(0).decay_mult() == 250.f);
  // The V1 caffemodel upgrades to the same layers, blobs kept in legacy dims.
  caffe::NetParameter weights;
  read_net_param_binary(
      test::testdata("thirdparty/cifar10_full_everpeace_v1/cifar10_full_iter_70000.caffemodel"),
      &weights);
  CHECK(weights.layers_size() == 0);
  REQUIRE(weights.layer_size() == 14);
  bool found_ip1 = false;
  for (const auto& l : weights.layer()) {
    if (l.name() != "ip1") continue;
    found_ip1 = true;
    CHECK(l.type() == "InnerProduct");
    REQUIRE(l.blobs_size() == 2);
    CHECK(l.blobs(0).height() == 10);
    CHECK(l.blobs(0).width() == 1024);
  }
  CHECK(found_ip1);
}
