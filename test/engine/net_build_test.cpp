// Building nets: the Model Zoo families with the shapes Caffe gives, state rules,
// splits, and the one-line errors for bad nets.
#include <catch2/catch.hpp>
#include <fstream>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "net/upgrade.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"

using namespace cortado;

namespace {

std::unique_ptr<Net> load(const std::string& name, caffe::Phase phase = caffe::TEST, int level = 0,
                          const std::vector<std::string>& stages = {}) {
  return Net::from_file(test::testdata("nets/" + name), phase, level, stages);
}

std::vector<int> shape_of(const Net& net, const std::string& blob) {
  return net.blob_by_name(blob)->shape();
}

using Shape = std::vector<int>;

// The message of the Error that building `file` raises ("" if none); one line always.
std::string build_error(const std::string& file) {
  try {
    load(file);
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    return what;
  }
  return "";
}

}  // namespace

TEST_CASE("LeNet deploy builds with Caffe's shapes", "[engine][net][zoo]") {
  auto net = load("lenet_deploy.prototxt");
  CHECK(shape_of(*net, "conv1") == Shape{64, 20, 24, 24});
  CHECK(shape_of(*net, "pool1") == Shape{64, 20, 12, 12});
  CHECK(shape_of(*net, "conv2") == Shape{64, 50, 8, 8});
  CHECK(shape_of(*net, "pool2") == Shape{64, 50, 4, 4});
  CHECK(shape_of(*net, "ip1") == Shape{64, 500});
  CHECK(shape_of(*net, "prob") == Shape{64, 10});
  CHECK(net->layers().size() == 9u);
  CHECK(net->learnable_params().size() == 8u);
  REQUIRE(net->input_blobs().size() == 1u);
  REQUIRE(net->output_blobs().size() == 1u);
  CHECK(net->blob_names()[net->output_blob_indices()[0]] == "prob");
  CHECK(net->memory_used_bytes() > 0u);
}

TEST_CASE("CaffeNet (LRN, grouped convs) builds with Caffe's shapes", "[engine][net][zoo]") {
  auto net = load("caffenet_deploy.prototxt");
  CHECK(shape_of(*net, "conv1") == Shape{10, 96, 55, 55});
  CHECK(shape_of(*net, "pool1") == Shape{10, 96, 27, 27});
  CHECK(shape_of(*net, "norm1") == Shape{10, 96, 27, 27});
  CHECK(shape_of(*net, "conv2") == Shape{10, 256, 27, 27});
  CHECK(shape_of(*net, "pool2") == Shape{10, 256, 13, 13});
  CHECK(shape_of(*net, "conv3") == Shape{10, 384, 13, 13});
  CHECK(shape_of(*net, "conv4") == Shape{10, 384, 13, 13});
  CHECK(shape_of(*net, "conv5") == Shape{10, 256, 13, 13});
  CHECK(shape_of(*net, "pool5") == Shape{10, 256, 6, 6});
  CHECK(shape_of(*net, "fc6") == Shape{10, 4096});
  CHECK(shape_of(*net, "prob") == Shape{10, 1000});
  // Groups of 2 halve the weights' input channels.
  CHECK(net->layer_by_name("conv2")->blobs()[0]->shape() == Shape{256, 48, 5, 5});
  CHECK(net->layer_by_name("conv4")->blobs()[0]->shape() == Shape{384, 192, 3, 3});
  CHECK(net->layer_by_name("fc6")->blobs()[0]->shape() == Shape{4096, 9216});
}

TEST_CASE("a GoogLeNet inception block concatenates to 256 channels", "[engine][net][zoo]") {
  auto net = load("googlenet_inception.prototxt");
  CHECK(shape_of(*net, "inception_3a/1x1") == Shape{2, 64, 28, 28});
  CHECK(shape_of(*net, "inception_3a/3x3") == Shape{2, 128, 28, 28});
  CHECK(shape_of(*net, "inception_3a/5x5") == Shape{2, 32, 28, 28});
  CHECK(shape_of(*net, "inception_3a/pool") == Shape{2, 192, 28, 28});
  CHECK(shape_of(*net, "inception_3a/output") == Shape{2, 256, 28, 28});
  // data feeds four branches: one Split with four tops.
  auto split = net->layer_by_name("data_data_0_split");
  CHECK(std::string(split->type()) == "Split");
  CHECK(net->top_vecs()[net->layer_index("data_data_0_split")].size() == 4u);
}

TEST_CASE("a ResNet block (BatchNorm, Scale, Eltwise) builds; BN statistics are frozen",
          "[engine][net][zoo]") {
  auto net = load("resnet_block.prototxt", caffe::TRAIN);
  CHECK(shape_of(*net, "res2a_branch2a") == Shape{2, 64, 14, 14});
  CHECK(shape_of(*net, "res2a_branch2c") == Shape{2, 256, 14, 14});
  CHECK(shape_of(*net, "res2a") == Shape{2, 256, 14, 14});
  // Every BatchNorm blob is learnable-listed with lr_mult 0; the Scale blobs learn.
  int bn_blobs = 0;
  for (size_t i = 0; i < net->params().size(); ++i) {
    const auto [layer, blob] = net->param_layer_indices()[i];
    const int learnable = net->learnable_param_ids()[i];
    if (std::string(net->layers()[layer]->type()) == "BatchNorm") {
      ++bn_blobs;
      CHECK(net->params_lr()[learnable] == 0.f);
      CHECK_FALSE(net->layers()[layer]->param_propagate_down(blob));
    } else {
      CHECK(net->params_lr()[learnable] == 1.f);
    }
  }
  CHECK(bn_blobs == 4 * 3);
}

TEST_CASE("a SqueezeNet fire module builds with Caffe's shapes", "[engine][net][zoo]") {
  auto net = load("squeezenet_fire.prototxt");
  CHECK(shape_of(*net, "conv1") == Shape{2, 64, 31, 31});
  CHECK(shape_of(*net, "pool1") == Shape{2, 64, 15, 15});  // ceil rounding
  CHECK(shape_of(*net, "fire2/squeeze1x1") == Shape{2, 16, 15, 15});
  CHECK(shape_of(*net, "fire2/concat") == Shape{2, 128, 15, 15});
}

TEST_CASE("a MobileNet depthwise-separable block builds with Caffe's shapes",
          "[engine][net][zoo]") {
  auto net = load("mobilenet_dw.prototxt");
  CHECK(shape_of(*net, "conv1") == Shape{2, 32, 32, 32});
  CHECK(shape_of(*net, "conv2_1/dw") == Shape{2, 32, 32, 32});
  CHECK(net->layer_by_name("conv2_1/dw")->blobs()[0]->shape() == Shape{32, 1, 3, 3});
  CHECK(shape_of(*net, "conv2_1/sep") == Shape{2, 64, 32, 32});
}

TEST_CASE("include/exclude rules pick the layers of each state", "[engine][net][rules]") {
  auto names = [](const Net& n) {
    std::vector<std::string> v;
    for (const auto& l : n.layer_names())
      if (l != "ip_ip_0_split" && l.find("_split") == std::string::npos) v.push_back(l);
    return v;
  };
  using V = std::vector<std::string>;
  CHECK(names(*load("rules.prototxt", caffe::TRAIN)) ==
        V{"data", "ip", "train_only", "not_deploy", "loss"});
  CHECK(names(*load("rules.prototxt", caffe::TEST)) ==
        V{"data", "ip", "test_only", "not_deploy", "loss"});
  CHECK(names(*load("rules.prototxt", caffe::TEST, 0, {"deploy"})) ==
        V{"data", "ip", "test_only", "deploy_only", "loss"});
  CHECK(names(*load("rules.prototxt", caffe::TRAIN, 2)) ==
        V{"data", "ip", "train_only", "not_deploy", "level2", "loss"});
  CHECK(load("rules.prototxt", caffe::TRAIN)->phase() == caffe::TRAIN);
}

TEST_CASE("the LeNet train/test net splits label and ip2 in TEST only", "[engine][net]") {
  caffe::NetParameter param;
  read_text_proto(test::testdata("nets/lenet_train_test.prototxt"), param);
  for (auto& l : *param.mutable_layer())
    if (l.type() == "Data")
      l.mutable_data_param()->set_source(test::testdata("lmdb/fashion_mnist_test200_lmdb"));
  Net test_net(param, caffe::TEST);
  using V = std::vector<std::string>;
  CHECK(test_net.layer_names() == V{"mnist", "label_mnist_1_split", "conv1", "pool1", "conv2",
                                    "pool2", "ip1", "relu1", "ip2", "ip2_ip2_0_split", "accuracy",
                                    "loss"});
  // Outputs in name order, the loss weighted 1, accuracy not.
  REQUIRE(test_net.output_blobs().size() == 2u);
  CHECK(test_net.blob_names()[test_net.output_blob_indices()[0]] == "accuracy");
  CHECK(test_net.blob_names()[test_net.output_blob_indices()[1]] == "loss");
  CHECK(test_net.blob_loss_weights()[test_net.output_blob_indices()[1]] == 1.f);
  CHECK(test_net.blob_loss_weights()[test_net.output_blob_indices()[0]] == 0.f);
  // Backward where a loss is reached and something learns.
  const auto& need = test_net.layer_need_backward();
  CHECK_FALSE(need[test_net.layer_index("mnist")]);
  CHECK_FALSE(need[test_net.layer_index("label_mnist_1_split")]);
  CHECK_FALSE(need[test_net.layer_index("accuracy")]);
  CHECK(need[test_net.layer_index("conv1")]);
  CHECK(need[test_net.layer_index("loss")]);
  // The label never receives a gradient.
  const int loss_id = test_net.layer_index("loss");
  CHECK(test_net.bottom_need_backward()[loss_id][0]);
  CHECK_FALSE(test_net.bottom_need_backward()[loss_id][1]);
  Net train_net(param, caffe::TRAIN);
  CHECK(train_net.layers().size() == 9u);
  CHECK(train_net.layers_of_type("Data").size() == 1u);
}

TEST_CASE("bad net: a bottom that nothing produces", "[engine][net][bad]") {
  const std::string e = build_error("bad/unknown_bottom.prototxt");
  CHECK_THAT(e, Catch::Contains("layer 'ip'") && Catch::Contains("'features'"));
}

TEST_CASE("bad net: a cycle shows as a bottom used before it is produced", "[engine][net][bad]") {
  const std::string e = build_error("bad/cycle.prototxt");
  CHECK_THAT(e, Catch::Contains("layer 'first'") && Catch::Contains("'second_out'") &&
                    Catch::Contains("cycle"));
}

TEST_CASE("bad net: a top produced twice, not in place", "[engine][net][bad]") {
  const std::string e = build_error("bad/duplicate_top.prototxt");
  CHECK_THAT(e, Catch::Contains("layer 'relu_b'") && Catch::Contains("'out'") &&
                    Catch::Contains("already produced"));
}

TEST_CASE("bad net: a parameter of the wrong type is a text error with line:col",
          "[engine][net][bad]") {
  const std::string e = build_error("bad/wrong_param_type.prototxt");
  CHECK_THAT(e, Catch::Contains("wrong_param_type.prototxt:6:"));
}

TEST_CASE("bad net: an unknown layer type lists the known types", "[engine][net][bad]") {
  const std::string e = build_error("bad/unknown_type.prototxt");
  CHECK_THAT(e, Catch::Contains("layer 'conv1'") && Catch::Contains("'Convolutoin'") &&
                    Catch::Contains("known types:") && Catch::Contains("Convolution"));
}

TEST_CASE("bad net: a Caffe layer type Cortado lacks is named as unsupported, with what to use",
          "[engine][net][bad]") {
  const std::string e = build_error("bad/memory_data.prototxt");
  CHECK_THAT(e, Catch::Contains("layer 'mem'") && Catch::Contains("MemoryData is not supported") &&
                    Catch::Contains("Input layer") && !Catch::Contains("known types"));
}

TEST_CASE("bad net: Python layers are refused", "[engine][net][bad]") {
  const std::string e = build_error("bad/python_layer.prototxt");
  CHECK_THAT(e, Catch::Contains("layer 'py'") && Catch::Contains("Python"));
}

TEST_CASE("bad weights: a blob of the wrong shape names the layer and both shapes",
          "[engine][net][bad]") {
  auto net = load("bad/lenet_wrong_conv1.prototxt");
  try {
    net->copy_trained_layers_from(test::testdata("lenet/lenet_iter_1000.caffemodel"));
    FAIL("no error");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK(what.find('\n') == std::string::npos);
    CHECK_THAT(what, Catch::Contains("layer 'conv1'") && Catch::Contains("20 1 5 5") &&
                         Catch::Contains("30 1 5 5"));
  }
}

TEST_CASE("bad weights: a blob with too few values names the layer and the param",
          "[engine][net][bad]") {
  auto net = load("lenet_deploy.prototxt");
  caffe::NetParameter model;
  read_net_param_binary(test::testdata("lenet/lenet_iter_1000.caffemodel"), &model);
  caffe::LayerParameter* ip1 = nullptr;
  for (auto& l : *model.mutable_layer())
    if (l.name() == "ip1") ip1 = &l;
  REQUIRE(ip1 != nullptr);
  ip1->mutable_blobs(1)->mutable_data()->RemoveLast();
  CHECK_THROWS_WITH(net->copy_trained_layers_from(model),
                    Catch::Contains("layer 'ip1'") && Catch::Contains("param 1: blob holds 499"));
}

TEST_CASE("bad weights: a caffemodel that matches no layer of the net is refused",
          "[engine][net][bad]") {
  // LeNet with every layer renamed: the golden weights would give it nothing.
  caffe::NetParameter p;
  read_net_param_text(test::testdata("nets/lenet_deploy.prototxt"), &p);
  for (auto& l : *p.mutable_layer()) l.set_name("x_" + l.name());
  Net net(p, caffe::TEST);
  const std::string model = test::testdata("lenet/lenet_iter_1000.caffemodel");
  CHECK_THROWS_WITH(net.copy_trained_layers_from(model),
                    Catch::Contains(model) && Catch::Contains("nothing to copy"));
}

TEST_CASE("bad weights: an empty file or a mean file is not taken for weights",
          "[engine][net][bad]") {
  auto net = load("bad/lenet_wrong_conv1.prototxt");
  const std::string empty = test::temp_dir("empty_weights") + "/empty.caffemodel";
  std::ofstream{empty};
  for (const std::string& file : {empty, test::testdata("mean/mean.binaryproto")}) {
    INFO(file);
    CHECK_THROWS_WITH(net->copy_trained_layers_from(file),
                      Catch::Contains(file) && Catch::Contains("holds no layers"));
  }
}

TEST_CASE("bad net: a layer setup error names the layer", "[engine][net][bad]") {
  caffe::NetParameter p;
  parse_text_proto(R"(
    layer { name: "data" type: "Input" top: "a" top: "b"
            input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 4 } } }
    layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "s" }
  )",
                   "net", p);
  CHECK_THROWS_WITH(Net(p, caffe::TEST), Catch::Contains("layer 'sum'"));
  caffe::NetParameter q;
  parse_text_proto(R"(
    layer { name: "data" type: "Input" top: "a" input_param { shape { dim: 2 dim: 3 } } }
    layer { name: "ip" type: "InnerProduct" bottom: "a" top: "b" param { } param { } param { }
            inner_product_param { num_output: 2 } }
  )",
                   "net", q);
  CHECK_THROWS_WITH(Net(q, caffe::TEST),
                    Catch::Contains("layer 'ip'") && Catch::Contains("3 param specs"));
  // An Input without a shape: no tool could feed its top (was an internal error).
  caffe::NetParameter r;
  parse_text_proto(R"(layer { name: "data" type: "Input" top: "data" })", "net", r);
  CHECK_THROWS_WITH(Net(r, caffe::TEST),
                    Catch::Contains("layer 'data'") && Catch::Contains("gives its tops no shape"));
}
