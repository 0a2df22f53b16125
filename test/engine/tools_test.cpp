// End-to-end runs of the test, classify and time executables on testdata.
#include <catch2/catch.hpp>

#include "util/device.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "caffe.pb.h"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"

using cortado::test::testdata;

namespace {

// These tests read the tools' INFO lines: a quiet GLOG_minloglevel must not reach them.
cortado::test::ToolResult run_tool(const std::string& tool, const std::string& args) {
  ::unsetenv("GLOG_minloglevel");
  return cortado::test::run_tool(tool, args);
}

// The LeNet train/test prototxt with its LMDB sources pointed at test200.
std::string lenet_with_test200(const std::string& dir) {
  std::ifstream in(testdata("nets/lenet_train_test.prototxt"));
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  for (const char* src : {"fashion_mnist_train_lmdb", "fashion_mnist_test_lmdb"}) {
    const size_t at = text.find(std::string("\"") + src + "\"");
    REQUIRE(at != std::string::npos);
    text.replace(at, std::string(src).size() + 2,
                 "\"" + testdata("lmdb/fashion_mnist_test200_lmdb") + "\"");
  }
  const std::string path = dir + "/lenet.prototxt";
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("test scores the golden LeNet on test200 in Caffe's log lines", "[engine][tools][test]") {
  const std::string net = lenet_with_test200(cortado::test::temp_dir("tool_test"));
  const auto r = run_tool("test", "--model " + net + " --weights " +
                                      testdata("lenet/lenet_iter_1000.caffemodel") +
                                      " --iterations 2");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Caffe's own first two batches of the same images (golden caffe_test_iter_1000.log).
  CHECK_THAT(r.err, Catch::Contains("] Batch 0, accuracy = 0.83\n"));
  CHECK_THAT(r.err, Catch::Contains("] Batch 0, loss = 0.45232\n"));
  CHECK_THAT(r.err, Catch::Contains("] Batch 1, accuracy = 0.92\n"));
  CHECK_THAT(r.err, Catch::Contains("] accuracy = 0.875\n"));
  CHECK_THAT(r.err, Catch::Contains("] loss = 0.352") && Catch::Contains(" (* 1 = 0.352"));
  CHECK_THAT(r.err, Catch::Contains("Running for 2 iterations."));
}

TEST_CASE("test takes Caffe's -flag=value spelling and refuses a bad phase", "[engine][tools][test]") {
  const std::string net = lenet_with_test200(cortado::test::temp_dir("tool_test_flags"));
  const auto ok = run_tool("test", "-model=" + net + " -weights=" +
                                       testdata("lenet/lenet_iter_1000.caffemodel") +
                                       " -iterations=1");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.err, Catch::Contains("accuracy = 0.83"));
  // No GPU in CI: asking for one is a one-line error, not a silent CPU run.
  const auto gpu = run_tool("test", "-model=" + net + " -weights=" +
                                        testdata("lenet/lenet_iter_1000.caffemodel") +
                                        " -iterations=1 -gpu=0");
  if (!cortado::gpu_available()) {
    CHECK(gpu.exit_code == 1);
    CHECK_THAT(gpu.err, Catch::Contains("test: error: --gpu"));
  }
  const auto bad = run_tool("test", "--model " + net + " --weights " +
                                        testdata("lenet/lenet_iter_1000.caffemodel") +
                                        " --phase VALIDATE");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("test: error: --phase"));
  const auto missing = run_tool("test", "--model " + net);
  CHECK(missing.exit_code == 2);
}

TEST_CASE("an empty value is a usage error, not 'not given'", "[engine][tools][test]") {
  // (--weights "$W" with W unset would otherwise test untrained weights)
  const auto r =
      run_tool("test", "--model " + testdata("nets/lenet_deploy.prototxt") + " --weights ''");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("test: usage error: --weights: an empty value"));
}

TEST_CASE("test on a bad net prints one error line naming the layer", "[engine][tools][test]") {
  const auto r = run_tool("test", "--model " + testdata("nets/bad/unknown_bottom.prototxt") +
                                      " --weights " + testdata("lenet/lenet_iter_1000.caffemodel"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("test: error: layer 'ip'"));
}

TEST_CASE("classify --json --labels prints Caffe's probabilities per image",
          "[engine][tools][classify]") {
  const std::string dir = testdata("thirdparty/lenet_ethereon");
  const std::string labels = cortado::test::temp_dir("classify") + "/labels.txt";
  std::ofstream(labels) << "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
  // The reference's input: x = u8 / 256, one channel.
  const auto r = run_tool("classify", "--model " + dir + "/net.prototxt --weights " + dir +
                                          "/lenet_iter_10000.caffemodel --scale 0.00390625"
                                          " --top-k 2 --json --labels " + labels + " " + dir +
                                          "/input_0.png " + dir + "/input_2.png");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::string first, second, extra;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  CHECK_FALSE(std::getline(lines, extra));
  // reference_outputs.txt: image 0 -> class 6 (0.803764582) then 2 (0.194176227);
  // image 2 -> class 0 (0.981294394).
  CHECK_THAT(first, Catch::StartsWith("{\"image\": \"" + dir + "/input_0.png\", \"top_k\": "
                                      "[{\"index\": 6, \"label\": \"six\", \"prob\": 0.80376"));
  CHECK_THAT(first, Catch::Contains("{\"index\": 2, \"label\": \"two\", \"prob\": 0.19417"));
  CHECK_THAT(second, Catch::Contains("[{\"index\": 0, \"label\": \"zero\", \"prob\": 0.98129"));
  // A labels file with fewer lines than the net has outputs (Caffe's example refuses it).
  const std::string short_labels = cortado::test::temp_dir("classify") + "/short.txt";
  std::ofstream(short_labels) << "a\nb\nc\n";
  const auto bad = run_tool("classify", "--model " + dir + "/net.prototxt --weights " + dir +
                                            "/lenet_iter_10000.caffemodel --labels " +
                                            short_labels + " " + dir + "/input_0.png");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("short.txt: has 3 labels, the net has 10 outputs"));
}

TEST_CASE("classify prints Caffe's text predictions; color nets take the mean value",
          "[engine][tools][classify]") {
  const std::string dir = testdata("thirdparty/cifar10_quick_everpeace_v1");
  // The reference's CIFAR input: u8 - 128 in three channels (gray PNG read as color).
  const auto r = run_tool("classify", "--model " + dir + "/net.prototxt --weights " + dir +
                                          "/cifar10_quick_iter_5000.caffemodel --mean-value 128"
                                          " --top-k 1 " + dir + "/input_1.png");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Image 1: class 5 with probability 0.999914527.
  CHECK_THAT(r.out, Catch::Contains("---------- Prediction for " + dir + "/input_1.png ----------"));
  CHECK_THAT(r.out, Catch::EndsWith("----------\n0.9999 - \"5\"\n"));
  const auto missing = run_tool("classify", "--model " + dir + "/net.prototxt --weights " + dir +
                                                "/cifar10_quick_iter_5000.caffemodel nope.png");
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("classify: error: nope.png"));
}

TEST_CASE("classify --mean subtracts a mean image per pixel, or its channel means",
          "[engine][tools][classify]") {
  const std::string dir = testdata("thirdparty/cifar10_quick_everpeace_v1");
  const std::string tmp = cortado::test::temp_dir("classify_mean");
  // A constant-128 mean at the input's size, and one of another size (averaged per channel).
  for (int size : {32, 8}) {
    caffe::BlobProto mean;
    mean.set_num(1);
    mean.set_channels(3);
    mean.set_height(size);
    mean.set_width(size);
    for (int i = 0; i < 3 * size * size; ++i) mean.add_data(128.f);
    cortado::write_binary_proto(tmp + "/mean" + std::to_string(size) + ".binaryproto", mean);
  }
  const std::string common = "--model " + dir + "/net.prototxt --weights " + dir +
                             "/cifar10_quick_iter_5000.caffemodel --json --top-k 3 " + dir +
                             "/input_4.png ";
  const auto by_value = run_tool("classify", common + "--mean-value 128,128,128");
  const auto by_file = run_tool("classify", common + "--mean " + tmp + "/mean32.binaryproto");
  const auto by_small = run_tool("classify", common + "--mean " + tmp + "/mean8.binaryproto");
  INFO(by_file.err);
  REQUIRE(by_value.exit_code == 0);
  REQUIRE(by_file.exit_code == 0);
  REQUIRE(by_small.exit_code == 0);
  CHECK(by_file.out == by_value.out);
  CHECK(by_small.out == by_value.out);
  // Image 4's class is 2 (reference_outputs.txt argmax).
  CHECK_THAT(by_value.out, Catch::Contains("[{\"index\": 2, "));
}

TEST_CASE("time reports per-layer and average times in Caffe's phrases", "[engine][tools][time]") {
  const auto r = run_tool("time", "--model " + testdata("nets/lenet_time.prototxt") +
                                      " --iterations 2");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* phrase :
       {"Initial loss: ", "*** Benchmark begins ***", "Testing for 2 iterations.",
        "Iteration: 2 forward-backward time: ", "Average time per layer: ",
        "     conv1\tforward: ", "     conv1\tbackward: ", "      loss\tforward: ",
        "Average Forward pass: ", "Average Backward pass: ", "Average Forward-Backward: ",
        "Total Time: ", "*** Benchmark ends ***"})
    CHECK_THAT(r.err, Catch::Contains(phrase));
}

TEST_CASE("time reads a Data layer's LMDB in TRAIN phase", "[engine][tools][time]") {
  const std::string net = lenet_with_test200(cortado::test::temp_dir("tool_time"));
  const auto r = run_tool("time", "--model " + net + " --iterations 1");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("     mnist\tforward: "));
  CHECK_THAT(r.err, Catch::Contains("Average Forward-Backward: "));
}
