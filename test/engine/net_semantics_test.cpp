// What a built Net does: shared parameters, lr/decay multipliers, which layers run
// backward, loss weights, gradients through splits, reshaping, and weights in and out.
#include <catch2/catch.hpp>
#include <cmath>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "support/gradient_checker.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"
#include "util/rng.hpp"

using namespace cortado;

namespace {

caffe::NetParameter parse(const std::string& text) {
  caffe::NetParameter p;
  parse_text_proto(text, "net", p);
  return p;
}

// data (4x6) and label (4) in; two InnerProducts that may share weights.
const char* kTwoIp = R"(
  name: "two_ip"
  layer { name: "data" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
  layer { name: "ip_a" type: "InnerProduct" bottom: "data" top: "a"
          param { name: "shared_w" lr_mult: 2 decay_mult: 0.5 } param { lr_mult: 3 }
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 }
                                bias_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "ip_b" type: "InnerProduct" bottom: "data" top: "b"
          param { name: "shared_w" } param { }
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 }
                                bias_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "s" }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s" bottom: "label" top: "loss" }
)";

void fill_input(Net& net, unsigned seed) {
  test::fill_gaussian(*net.blob_by_name("data"), 0.f, 1.f, seed);
  float* label = net.blob_by_name("label")->mutable_data();
  for (int i = 0; i < 4; ++i) label[i] = static_cast<float>((i * 3 + seed) % 5);
}

}  // namespace

TEST_CASE("parameters shared by name point at one blob and count once", "[engine][net][params]") {
  seed_global_rng(1);
  Net net(parse(kTwoIp), caffe::TRAIN);
  REQUIRE(net.params().size() == 4u);
  CHECK(net.learnable_params().size() == 3u);
  CHECK(net.param_owners() == std::vector<int>{-1, -1, 0, -1});
  CHECK(net.param_display_names() == std::vector<std::string>{"shared_w", "1", "shared_w", "1"});
  CHECK(net.params()[2]->data() == net.params()[0]->data());
  CHECK(net.params()[2]->diff() == net.params()[0]->diff());
  CHECK(net.learnable_param_ids() == std::vector<int>{0, 1, 0, 2});
  // The owner's multipliers; a later unset spec does not override them.
  CHECK(net.params_lr() == std::vector<float>{2.f, 3.f, 1.f});
  CHECK(net.params_weight_decay() == std::vector<float>{0.5f, 1.f, 1.f});
  CHECK(net.has_params_lr() == std::vector<bool>{true, true, false});
  CHECK(net.has_params_decay() == std::vector<bool>{true, false, false});
  CHECK(net.param_names_index().at("shared_w") == 0);
}

TEST_CASE("shared parameters must match in shape (STRICT) or count (PERMISSIVE)",
          "[engine][net][params]") {
  const char* strict = R"(
    layer { name: "data" type: "Input" top: "x" top: "y"
            input_param { shape { dim: 2 dim: 6 } shape { dim: 2 dim: 4 } } }
    layer { name: "a" type: "InnerProduct" bottom: "x" top: "a" param { name: "w" }
            inner_product_param { num_output: 4 bias_term: false } }
    layer { name: "b" type: "InnerProduct" bottom: "y" top: "b" param { name: "w" %s }
            inner_product_param { num_output: 6 bias_term: false } }
  )";
  char buf[1024];
  std::snprintf(buf, sizeof buf, strict, "");
  // a's weight is 4x6, b's is 6x4: the same count (24) in another shape.
  CHECK_THROWS_WITH(Net(parse(buf), caffe::TRAIN),
                    Catch::Contains("layer 'b'") && Catch::Contains("shared parameter 'w'") &&
                        Catch::Contains("4 6 (24)") && Catch::Contains("6 4 (24)"));
  std::snprintf(buf, sizeof buf, strict, "share_mode: PERMISSIVE");
  Net net(parse(buf), caffe::TRAIN);
  CHECK(net.learnable_params().size() == 1u);
  const char* mismatched_lr = R"(
    layer { name: "data" type: "Input" top: "x" input_param { shape { dim: 2 dim: 6 } } }
    layer { name: "a" type: "InnerProduct" bottom: "x" top: "a" param { name: "w" lr_mult: 1 }
            inner_product_param { num_output: 4 bias_term: false } }
    layer { name: "b" type: "InnerProduct" bottom: "x" top: "b" param { name: "w" lr_mult: 2 }
            inner_product_param { num_output: 4 bias_term: false } }
  )";
  CHECK_THROWS_WITH(Net(parse(mismatched_lr), caffe::TRAIN), Catch::Contains("mismatched lr_mult"));
}

TEST_CASE("the net's gradient matches numeric differences through shared params and splits",
          "[engine][net][backward]") {
  seed_global_rng(7);
  Net net(parse(kTwoIp), caffe::TRAIN);
  fill_input(net, 3);
  // Shared weights collect the gradient of both layers.
  test::check_net_gradients(net);
}

TEST_CASE("lr_mult 0 freezes a layer and layers that need no gradient skip backward",
          "[engine][net][backward]") {
  const char* text = R"(
    layer { name: "data" type: "Input" top: "data" top: "label"
            input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
    layer { name: "frozen" type: "InnerProduct" bottom: "data" top: "f"
            param { lr_mult: 0 } param { lr_mult: 0 }
            inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } } }
    layer { name: "relu" type: "ReLU" bottom: "f" top: "f" }
    layer { name: "top" type: "InnerProduct" bottom: "f" top: "t"
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "t" bottom: "label" top: "loss" }
  )";
  Net net(parse(text), caffe::TRAIN);
  const auto& need = net.layer_need_backward();
  CHECK_FALSE(need[net.layer_index("frozen")]);
  CHECK_FALSE(need[net.layer_index("relu")]);  // nothing below wants a gradient
  CHECK(need[net.layer_index("top")]);
  CHECK_FALSE(net.bottom_need_backward()[net.layer_index("top")][0]);
  auto frozen = net.layer_by_name("frozen");
  CHECK_FALSE(frozen->param_propagate_down(0));
  CHECK(net.params_lr()[0] == 0.f);
  // Backward leaves the frozen diffs at zero.
  test::fill_gaussian(*net.blob_by_name("data"), 0.f, 1.f, 5);
  net.blob_by_name("label")->set_data(1.f);
  net.clear_param_diffs();
  net.forward_backward();
  CHECK(frozen->blobs()[0]->asum_diff() == 0.f);
  CHECK(net.layer_by_name("top")->blobs()[0]->asum_diff() > 0.f);
}

TEST_CASE("propagate_down false stops the gradient at that bottom", "[engine][net][backward]") {
  const char* text = R"(
    layer { name: "data" type: "Input" top: "data" top: "label"
            input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
    layer { name: "low" type: "InnerProduct" bottom: "data" top: "l"
            inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } } }
    layer { name: "high" type: "InnerProduct" bottom: "l" top: "h" propagate_down: false
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "h" bottom: "label" top: "loss" }
  )";
  Net net(parse(text), caffe::TRAIN);
  CHECK(net.layer_need_backward()[net.layer_index("high")]);
  CHECK_FALSE(net.bottom_need_backward()[net.layer_index("high")][0]);
  CHECK_FALSE(net.layer_need_backward()[net.layer_index("low")]);
  caffe::NetParameter bad = parse(text);
  bad.mutable_layer(2)->add_propagate_down(true);
  CHECK_THROWS_WITH(Net(bad, caffe::TRAIN),
                    Catch::Contains("layer 'high'") && Catch::Contains("propagate_down"));
}

TEST_CASE("force_backward makes every layer run backward", "[engine][net][backward]") {
  auto p = parse(R"(
    force_backward: true
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
    layer { name: "relu" type: "ReLU" bottom: "data" top: "r" }
  )");
  Net net(p, caffe::TEST);
  CHECK(net.layer_need_backward()[1]);
  CHECK(net.bottom_need_backward()[1][0]);
  p.set_force_backward(false);
  Net lazy(p, caffe::TEST);
  CHECK_FALSE(lazy.layer_need_backward()[1]);
}

TEST_CASE("loss_weight on any top adds weight * sum(top) to the loss", "[engine][net]") {
  Net net(parse(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
    layer { name: "relu" type: "ReLU" bottom: "data" top: "r" loss_weight: 2 }
    layer { name: "other" type: "ReLU" bottom: "r" top: "o" }
  )"),
          caffe::TEST);
  float* d = net.blob_by_name("data")->mutable_data();
  for (int i = 0; i < 6; ++i) d[i] = i - 2.f;  // -2 -1 0 1 2 3 -> relu sum 6
  CHECK(net.forward() == Approx(12.f));
  // r has a loss and a consumer: a split carries the loss weight on its first top.
  REQUIRE(net.has_layer("r_relu_0_split"));
  CHECK(net.layer_by_name("r_relu_0_split")->loss(0) == 2.f);
  CHECK(net.layer_by_name("r_relu_0_split")->loss(1) == 0.f);
}

TEST_CASE("reshape follows a new input shape", "[engine][net]") {
  auto net = Net::from_file(test::testdata("nets/lenet_deploy.prototxt"), caffe::TEST);
  net->blob_by_name("data")->reshape({3, 1, 28, 28});
  net->reshape();
  CHECK(net->blob_by_name("prob")->shape() == std::vector<int>{3, 10});
  net->forward();
  CHECK(net->blob_by_name("conv1")->shape() == std::vector<int>{3, 20, 24, 24});
}

TEST_CASE("weights round-trip through to_proto and a caffemodel file", "[engine][net][weights]") {
  seed_global_rng(11);
  Net a(parse(kTwoIp), caffe::TRAIN);
  caffe::NetParameter proto;
  a.to_proto(&proto);
  // Every layer, the Input and the inserted split too, with or without blobs.
  REQUIRE(proto.layer_size() == 6);
  CHECK(proto.layer(0).blobs_size() == 0);
  CHECK(proto.layer(1).type() == "Split");
  const caffe::LayerParameter& ip_a = proto.layer(2);
  CHECK(ip_a.name() == "ip_a");
  REQUIRE(ip_a.blobs_size() == 2);
  CHECK(ip_a.blobs(0).shape().dim_size() == 2);
  CHECK(ip_a.phase() == caffe::TRAIN);
  CHECK(proto.layer(5).loss_weight(0) == 1.f);  // as Caffe writes SoftmaxWithLoss
  const std::string file = test::temp_dir("roundtrip") + "/two_ip.caffemodel";
  a.save_caffemodel(file);
  seed_global_rng(12);
  Net b(parse(kTwoIp), caffe::TEST);
  CHECK(b.params()[1]->data()[0] != a.params()[1]->data()[0]);
  b.copy_trained_layers_from(file);
  for (size_t i = 0; i < a.params().size(); ++i)
    for (int j = 0; j < a.params()[i]->count(); ++j)
      REQUIRE(b.params()[i]->data()[j] == a.params()[i]->data()[j]);
  fill_input(a, 2);
  fill_input(b, 2);
  CHECK(a.forward() == b.forward());
}

TEST_CASE("copying weights skips layers the net lacks and checks blob counts",
          "[engine][net][weights]") {
  seed_global_rng(13);
  Net net(parse(kTwoIp), caffe::TEST);
  caffe::NetParameter w;
  net.to_proto(&w);
  w.add_layer()->set_name("not_in_net");  // ignored
  net.copy_trained_layers_from(w);
  REQUIRE(w.layer(2).name() == "ip_a");
  w.mutable_layer(2)->mutable_blobs()->RemoveLast();
  CHECK_THROWS_WITH(net.copy_trained_layers_from(w), Catch::Contains("layer 'ip_a'") &&
                                                         Catch::Contains("1 blob(s)") &&
                                                         Catch::Contains("has 2"));
}

TEST_CASE("a test net shares the train net's weights", "[engine][net][weights]") {
  seed_global_rng(14);
  Net train(parse(kTwoIp), caffe::TRAIN);
  Net test_net(parse(kTwoIp), caffe::TEST);
  test_net.share_trained_layers_with(train);
  CHECK(test_net.params()[0]->data() == train.params()[0]->data());
  train.params()[1]->mutable_data()[0] = 42.f;
  CHECK(test_net.params()[1]->data()[0] == 42.f);
}

TEST_CASE("the golden LeNet caffemodel loads and classifies test200 sanely",
          "[engine][net][lenet]") {
  caffe::NetParameter param;
  read_text_proto(test::testdata("nets/lenet_train_test.prototxt"), param);
  for (auto& l : *param.mutable_layer())
    if (l.type() == "Data")
      l.mutable_data_param()->set_source(test::testdata("lmdb/fashion_mnist_test200_lmdb"));
  Net net(param, caffe::TEST);
  net.copy_trained_layers_from(test::testdata("lenet/lenet_iter_1000.caffemodel"));
  float accuracy = 0.f, loss = 0.f;
  for (int i = 0; i < 2; ++i) {
    loss += net.forward();
    accuracy += net.blob_by_name("accuracy")->data()[0];
  }
  // Caffe's first two batches of the t10k set (golden caffe_test_iter_1000.log):
  // accuracy 0.83 and 0.92, loss 0.45232 and 0.252165.
  CHECK(accuracy / 2 == Approx(0.875f).margin(1e-6));
  CHECK(loss / 2 == Approx((0.45232f + 0.252165f) / 2).epsilon(1e-5));
}

TEST_CASE("a TRAIN net's caffemodel has every layer, the Data layer with no blobs",
          "[engine][net][weights]") {
  caffe::NetParameter param;
  read_text_proto(test::testdata("nets/lenet_train_test.prototxt"), param);
  for (auto& l : *param.mutable_layer())
    if (l.type() == "Data")
      l.mutable_data_param()->set_source(test::testdata("lmdb/fashion_mnist_test200_lmdb"));
  Net net(param, caffe::TRAIN);
  net.copy_trained_layers_from(test::testdata("lenet/lenet_iter_1000.caffemodel"));
  const std::string file = test::temp_dir("lenet_save") + "/lenet.caffemodel";
  net.save_caffemodel(file);
  caffe::NetParameter saved, golden;
  read_binary_proto(file, saved);
  read_binary_proto(test::testdata("lenet/lenet_iter_1000.caffemodel"), golden);
  REQUIRE(saved.layer_size() == golden.layer_size());
  for (int i = 0; i < saved.layer_size(); ++i) {
    INFO(golden.layer(i).name());
    CHECK(saved.layer(i).name() == golden.layer(i).name());
    CHECK(saved.layer(i).type() == golden.layer(i).type());
    REQUIRE(saved.layer(i).blobs_size() == golden.layer(i).blobs_size());
    for (int j = 0; j < saved.layer(i).blobs_size(); ++j) {
      CHECK(saved.layer(i).blobs(j).shape().DebugString() ==
            golden.layer(i).blobs(j).shape().DebugString());
      CHECK(saved.layer(i).blobs(j).data_size() == golden.layer(i).blobs(j).data_size());
    }
  }
  CHECK(saved.layer(0).blobs_size() == 0);
  CHECK(saved.layer(0).type() == "Data");
}

TEST_CASE("debug_info runs forward, backward and update with its extra logging", "[engine][net]") {
  seed_global_rng(15);
  auto p = parse(kTwoIp);
  p.set_debug_info(true);
  Net net(p, caffe::TRAIN);
  CHECK(net.debug_info());
  fill_input(net, 4);
  const float loss = net.forward_backward();
  for (size_t i = 0; i < net.params().size(); ++i) net.update_debug_info(static_cast<int>(i));
  net.set_debug_info(false);
  CHECK(net.forward() == Approx(loss));
}

TEST_CASE("a V1 NetParameter handed over in memory is upgraded before building", "[engine][net]") {
  Net net(parse(R"(
    input: "data" input_dim: 2 input_dim: 1 input_dim: 4 input_dim: 4
    layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv" blobs_lr: 1 blobs_lr: 0
             convolution_param { num_output: 3 kernel_size: 3 } }
    layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
  )"),
          caffe::TEST);
  CHECK(net.layer_names() == std::vector<std::string>{"input", "conv", "relu"});
  CHECK(net.blob_by_name("conv")->shape() == std::vector<int>{2, 3, 2, 2});
  CHECK(net.params_lr() == std::vector<float>{1.f, 0.f});
  CHECK(net.input_blobs().size() == 1u);
}
