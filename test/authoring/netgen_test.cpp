// netgen end to end: spec files against NetSpec's own output, the built-in
// templates against Caffe's LeNet, and solvers from flags.
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "caffe.pb.h"
#include "support/tool_runner.hpp"
#include "util/atomic_file.hpp"
#include "util/proto_io.hpp"

using cortado::test::run_tool;
using cortado::test::temp_dir;
using cortado::test::testdata;
using google::protobuf::util::MessageDifferencer;

namespace {

caffe::NetParameter net_of(const std::string& text) {
  caffe::NetParameter net;
  cortado::parse_text_proto(text, "netgen output", net);
  return net;
}

caffe::NetParameter net_file(const std::string& path) {
  caffe::NetParameter net;
  cortado::read_text_proto(path, net);
  return net;
}

void require_same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  std::string diff;
  MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  INFO(diff);
  REQUIRE(d.Compare(a, b));
}

std::vector<std::string> layer_names(const caffe::NetParameter& net) {
  std::vector<std::string> names;
  for (const auto& l : net.layer()) names.push_back(l.name());
  return names;
}

const caffe::LayerParameter& layer(const caffe::NetParameter& net, const std::string& name) {
  for (const auto& l : net.layer())
    if (l.name() == name) return l;
  FAIL("no layer " << name);
  return net.layer(0);
}

}  // namespace

TEST_CASE("netgen spec of the pycaffe LeNet script equals NetSpec's prototxt", "[authoring][netgen]") {
  auto r = run_tool("netgen", "spec " + testdata("authoring/lenet_netspec.spec"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  require_same(net_of(r.out), net_file(testdata("authoring/netspec_lenet_train.prototxt")));
  // scale=1./255 lands as the float32 NetSpec writes as 0.003921568859368563.
  REQUIRE(net_of(r.out).layer(0).transform_param().scale() == static_cast<float>(1.0 / 255));
}

TEST_CASE("netgen spec in plain words with variables equals NetSpec's TEST prototxt", "[authoring][netgen]") {
  const std::string out = temp_dir("netgen_plain") + "/lenet_test.prototxt";
  auto r = run_tool("netgen", "spec " + testdata("authoring/lenet_plain.spec") + " -o " + out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.empty());
  caffe::NetParameter net = net_file(out);
  require_same(net, net_file(testdata("authoring/netspec_lenet_test.prototxt")));
  // NetSpec naming: the in-place layer is named relu1, its top stays fc1.
  REQUIRE(layer(net, "relu1").top(0) == "fc1");
  REQUIRE(layer(net, "score").bottom(0) == "fc1");
}

TEST_CASE("netgen spec writes every layer type of the engine", "[authoring][netgen]") {
  auto r = run_tool("netgen", "spec " + testdata("authoring/all_layer_types.spec") + " --name AllTypes");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  caffe::NetParameter net = net_of(r.out);
  REQUIRE(net.name() == "AllTypes");
  std::set<std::string> types;
  for (const auto& l : net.layer()) types.insert(l.type());
  for (const char* t : {"Input", "DummyData", "Data", "ImageData", "Convolution", "Deconvolution",
                        "Pooling", "InnerProduct", "ReLU", "PReLU", "ELU", "Sigmoid", "TanH",
                        "AbsVal", "Power", "Exp", "Log", "BNLL", "Dropout", "LRN", "BatchNorm",
                        "Scale", "Bias", "Eltwise", "Concat", "Slice", "Split", "Flatten", "Reshape",
                        "Crop", "ArgMax", "Softmax", "SoftmaxWithLoss", "SigmoidCrossEntropyLoss",
                        "EuclideanLoss", "Accuracy", "Silence"}) {
    INFO(t);
    REQUIRE(types.count(t) == 1);
  }
  // Keywords land where NetSpec puts them.
  const auto& conv = layer(net, "conv");
  REQUIRE(conv.convolution_param().pad(0) == 1);
  REQUIRE(conv.convolution_param().bias_filler().value() == Approx(0.1f));
  REQUIRE(conv.param_size() == 2);
  REQUIRE(conv.param(1).decay_mult() == 0);
  REQUIRE(layer(net, "deconv").convolution_param().num_output() == 3);
  REQUIRE(layer(net, "pool").pooling_param().pool() == caffe::PoolingParameter::AVE);
  REQUIRE(layer(net, "data").transform_param().mean_value_size() == 3);
  REQUIRE(layer(net, "data").top_size() == 2);
  REQUIRE(layer(net, "dummy").dummy_data_param().shape_size() == 2);
  REQUIRE(layer(net, "lrn").lrn_param().norm_region() == caffe::LRNParameter::WITHIN_CHANNEL);
  REQUIRE(layer(net, "eltwise").eltwise_param().coeff(1) == -1);
  REQUIRE(layer(net, "slice_a").slice_param().slice_point(0) == 4);
  REQUIRE(layer(net, "reshape").reshape_param().shape().dim(1) == -1);
  const auto& loss = layer(net, "loss");
  REQUIRE(loss.loss_param().ignore_label() == -1);
  REQUIRE(loss.loss_weight(0) == 1);
  REQUIRE(layer(net, "euclid").loss_weight(0) == 0.5f);
  REQUIRE(layer(net, "accuracy").include(0).phase() == caffe::TEST);
  REQUIRE(layer(net, "dropout").top(0) == "bnll");
  const auto& silence = layer(net, "silence");
  REQUIRE(silence.top_size() == 0);
  REQUIRE(silence.bottom_size() == 9);
  REQUIRE(layer(net, "exp").exp_param().base() == -1);
}

TEST_CASE("netgen spec accepts names Python cannot spell, nested calls and arithmetic", "[authoring][netgen]") {
  const std::string dir = temp_dir("netgen_names");
  const std::string spec = dir + "/n.spec";
  cortado::write_file_atomic(spec,
      "n = caffe.NetSpec()\n"
      "n.data = L.Input(shape=dict(dim=[1, 3, 4, 4]))\n"
      "n[\"conv1/7x7_s2\"] = L.Convolution(n.data, num_output=2 * 4, kernel_size=3, \\\n"
      "    pad=(3 - 1) // 2)\n"
      "\"pool/a\" = Pooling(\"conv1/7x7_s2\", pool=P.Pooling.AVE, global_pooling=True)\n"
      "out = InnerProduct(Flatten(\"pool/a\"), num_output=2)  # nested: auto-named Flatten1\n"
      "Silence(out, ntop=0); s2 = Silence(n.data, ntop=0)\n");
  auto r = run_tool("netgen", "spec " + spec);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  caffe::NetParameter net = net_of(r.out);
  REQUIRE(layer_names(net) == std::vector<std::string>{"data", "conv1/7x7_s2", "pool/a", "Flatten1",
                                                       "out", "Silence1", "s2"});
  REQUIRE(layer(net, "conv1/7x7_s2").convolution_param().num_output() == 8);
  REQUIRE(layer(net, "conv1/7x7_s2").convolution_param().pad(0) == 1);
  REQUIRE(layer(net, "pool/a").bottom(0) == "conv1/7x7_s2");
  REQUIRE(layer(net, "out").bottom(0) == "Flatten1");
}

TEST_CASE("netgen lenet train_test is Caffe's lenet_train_test.prototxt", "[authoring][netgen]") {
  auto r = run_tool("netgen", "lenet --phase train_test --source fashion_mnist_train_lmdb "
                              "--test-source fashion_mnist_test_lmdb");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  require_same(net_of(r.out), net_file(testdata("authoring/lenet_train_test.prototxt")));
}

TEST_CASE("netgen lenet writes the train, test and deploy nets", "[authoring][netgen]") {
  const std::string dir = temp_dir("netgen_lenet");
  auto r = run_tool("netgen", "lenet --out-train " + dir + "/train.prototxt --out-test " + dir +
                                  "/test.prototxt --source tr_lmdb --test-source te_lmdb --batch-size 32");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> body = {"conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2"};
  caffe::NetParameter train = net_file(dir + "/train.prototxt"), test = net_file(dir + "/test.prototxt");
  auto expect = [&](std::vector<std::string> head, std::vector<std::string> tail) {
    head.insert(head.end(), body.begin(), body.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  REQUIRE(layer_names(train) == expect({"mnist"}, {"loss"}));
  REQUIRE(layer_names(test) == expect({"mnist"}, {"accuracy", "loss"}));
  REQUIRE(train.layer(0).data_param().source() == "tr_lmdb");
  REQUIRE(train.layer(0).data_param().batch_size() == 32);
  REQUIRE(test.layer(0).data_param().source() == "te_lmdb");
  REQUIRE(test.layer(0).data_param().batch_size() == 100);
  REQUIRE(layer(test, "accuracy").type() == "Accuracy");

  auto d = run_tool("netgen", "lenet --phase deploy --num-output 7 --rename-last ip2_new");
  REQUIRE(d.exit_code == 0);
  caffe::NetParameter deploy = net_of(d.out);
  REQUIRE(deploy.layer(0).type() == "Input");
  REQUIRE(deploy.layer(0).input_param().shape(0).dim(1) == 1);
  REQUIRE(deploy.layer(deploy.layer_size() - 1).type() == "Softmax");
  REQUIRE(deploy.layer(deploy.layer_size() - 1).top(0) == "prob");
  REQUIRE(layer(deploy, "ip2_new").inner_product_param().num_output() == 7);
  REQUIRE(layer(deploy, "prob").bottom(0) == "ip2_new");
}

TEST_CASE("netgen caffenet has the reference model's layers", "[authoring][netgen]") {
  auto r = run_tool("netgen", "caffenet --phase train --mean-value 104 --mean-value 117 --mean-value 123");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  caffe::NetParameter net = net_of(r.out);
  REQUIRE(layer_names(net) ==
          std::vector<std::string>{"data", "conv1", "relu1", "pool1", "norm1", "conv2", "relu2",
                                   "pool2", "norm2", "conv3", "relu3", "conv4", "relu4", "conv5",
                                   "relu5", "pool5", "fc6", "relu6", "drop6", "fc7", "relu7", "drop7",
                                   "fc8", "loss"});
  const auto& t = net.layer(0).transform_param();
  REQUIRE(t.mirror());
  REQUIRE(t.crop_size() == 227);
  REQUIRE(t.mean_value_size() == 3);
  REQUIRE_FALSE(t.has_mean_file());
  REQUIRE(layer(net, "conv2").convolution_param().group() == 2);
  REQUIRE(layer(net, "drop7").top(0) == "fc7");

  auto d = run_tool("netgen", "caffenet --phase deploy --batch-size 16");
  REQUIRE(d.exit_code == 0);
  caffe::NetParameter deploy = net_of(d.out);
  const auto& shape = deploy.layer(0).input_param().shape(0);
  REQUIRE(shape.dim_size() == 4);
  REQUIRE(shape.dim(0) == 16);
  REQUIRE(shape.dim(2) == 227);
  REQUIRE(deploy.layer(deploy.layer_size() - 1).name() == "prob");
}

TEST_CASE("netgen's template nets are the ones kept in testdata", "[authoring][netgen]") {
  // testdata/authoring/templates/ holds the nets for the engine's tests; keep them in step.
  for (const char* name : {"lenet", "caffenet"}) {
    for (const char* phase : {"train", "test", "deploy"}) {
      const std::string file = std::string(name) + "_" + phase + ".prototxt";
      INFO(file);
      auto r = run_tool("netgen", std::string(name) + " --phase " + phase);
      REQUIRE(r.exit_code == 0);
      require_same(net_of(r.out), net_file(testdata("authoring/templates/" + file)));
    }
  }
}

TEST_CASE("netgen solver writes the golden LeNet solver", "[authoring][netgen]") {
  auto r = run_tool("netgen",
                    "solver --net lenet_train_test.prototxt --test-iter 100 --test-interval 250 "
                    "--base-lr 0.01 --momentum 0.9 --weight-decay 0.0005 --lr-policy inv --gamma 0.0001 "
                    "--power 0.75 --display 100 --max-iter 1000 --snapshot 500 --snapshot-prefix lenet "
                    "--solver-mode CPU --random-seed 1701");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  caffe::SolverParameter got, want;
  cortado::parse_text_proto(r.out, "netgen output", got);
  cortado::parse_text_proto(
      "net: 'lenet_train_test.prototxt' test_iter: 100 test_interval: 250 base_lr: 0.01 "
      "momentum: 0.9 weight_decay: 0.0005 lr_policy: 'inv' gamma: 0.0001 power: 0.75 display: 100 "
      "max_iter: 1000 snapshot: 500 snapshot_prefix: 'lenet' solver_mode: CPU random_seed: 1701",
      "expected", want);
  require_same(got, want);

  auto two = run_tool("netgen", "solver --train-net t.prototxt --test-net a.prototxt --test-net "
                                "b.prototxt --test-iter 10 --test-iter 20 --test-interval 5 "
                                "--base-lr 0.1 --lr-policy multistep --gamma 0.1 --stepvalue 100 "
                                "--stepvalue 200 --max-iter 300 --type adam");
  INFO(two.err);
  REQUIRE(two.exit_code == 0);
  caffe::SolverParameter s;
  cortado::parse_text_proto(two.out, "netgen output", s);
  REQUIRE(s.test_net_size() == 2);
  REQUIRE(s.stepvalue_size() == 2);
  REQUIRE(s.type() == "Adam");
}

TEST_CASE("netgen solver refuses inconsistent flags", "[authoring][netgen][errors]") {
  const std::string base = "solver --base-lr 0.1 --max-iter 10 ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {base + "--net a --train-net b", "--net"},
      {base + "--net a --lr-policy step --gamma 0.1", "--stepsize"},
      {base + "--net a --lr-policy inv --gamma 0.1 --power 1 --stepsize 5", "--stepsize"},
      {base + "--train-net a --test-net b", "--test-iter"},
      {base + "--net a --test-iter 5", "--test-interval"},
      {base + "--net a --lr-policy multistep --gamma 0.1 --stepvalue 5 --stepvalue 3", "--stepvalue"},
      {base + "--net a --type AdaGrad --momentum 0.9", "--momentum"},
      {base + "--net a --lr-policy stpe", "step"},
      {"solver --net a --max-iter 10", "--base-lr"},
  };
  for (const auto& [args, mention] : cases) {
    INFO(args);
    auto r = run_tool("netgen", args);
    REQUIRE(r.exit_code == 1);
    REQUIRE(r.err.find(mention) != std::string::npos);
    REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}
