// finetune from Caffe's golden LeNet into a two-class net whose last layer is
// renamed: the renamed layer starts fresh, lr_mult 0 layers stay bit-identical.
#include <catch2/catch.hpp>

#include <cstring>

#include "caffe.pb.h"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"
#include "workdir.hpp"

using namespace cortado::test;

namespace {

// LeNet on a two-class LMDB with conv1 and conv2 frozen and ip2 renamed to ip2_ft.
std::string two_class_lenet() {
  std::string net = read_text("lenet_train_test.prototxt");
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = net.find(from);
    REQUIRE(at != std::string::npos);
    net.replace(at, from.size(), to);
  };
  replace("fashion_mnist_train1000_lmdb\" batch_size: 64", "two_class_lmdb\" batch_size: 4");
  replace("fashion_mnist_test200_lmdb\" batch_size: 100", "two_class_lmdb\" batch_size: 4");
  for (int conv = 0; conv < 2; ++conv) replace("param { lr_mult: 1 }\n  param { lr_mult: 2 }\n  convolution",
                                                "param { lr_mult: 0 }\n  param { lr_mult: 0 }\n  convolution");
  replace("name: \"ip2\"", "name: \"ip2_ft\"");
  replace("num_output: 10", "num_output: 2");
  return net;
}

// Bit-for-bit equality of two blobs' values.
bool same_values(const caffe::BlobProto& a, const caffe::BlobProto& b) {
  return a.data_size() == b.data_size() &&
         std::memcmp(a.data().data(), b.data().data(), sizeof(float) * a.data_size()) == 0;
}

const caffe::LayerParameter& layer(const caffe::NetParameter& net, const std::string& name) {
  for (const auto& l : net.layer())
    if (l.name() == name) return l;
  static const caffe::LayerParameter none;
  FAIL("no layer " << name);
  return none;
}

}  // namespace

TEST_CASE("finetune copies by name, starts renamed layers fresh and keeps frozen ones",
          "[training][finetune]") {
  Workdir dir("finetune");
  auto db = run_tool("create_lmdb", "--classes sneaker,bag --skip-unlabeled --gray " + testdata("images") +
                                        " two_class_lmdb");
  INFO(db.err);
  REQUIRE(db.exit_code == 0);
  dir.write("two_class.prototxt", two_class_lenet());
  dir.write("solver.prototxt", lenet_solver(10, 0, "display: 5\ntest_iter: 3\ntest_interval: 10\n",
                                            "two_class.prototxt"));
  const std::string golden = testdata("solvers/lenet_iter_500.caffemodel");
  auto r = run_tool("finetune", "--solver solver.prototxt --weights " + golden);
  INFO(tail(r.err, 30));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("copied: conv1, conv2, ip1\n") != std::string::npos);
  CHECK(r.out.find("new: ip2_ft\n") != std::string::npos);
  CHECK(r.out.find("frozen: conv1, conv2\n") != std::string::npos);
  CHECK(r.out.find("unused: ip2\n") != std::string::npos);

  caffe::NetParameter before, after;
  cortado::read_binary_proto(golden, before);
  cortado::read_binary_proto("lenet_iter_10.caffemodel", after);
  for (const char* frozen : {"conv1", "conv2"})
    for (int k = 0; k < 2; ++k) {
      INFO(frozen << " blob " << k);
      CHECK(same_values(layer(after, frozen).blobs(k), layer(before, frozen).blobs(k)));
    }
  CHECK_FALSE(same_values(layer(after, "ip1").blobs(0), layer(before, "ip1").blobs(0)));
  CHECK(layer(after, "ip2_ft").blobs(0).shape().dim(0) == 2);
}
