// Third-party Model Zoo-era models (V1 caffemodels with legacy blob dims, V1
// prototxts with input_dim, LRN WITHIN_CHANNEL, AVE pooling with clipped windows,
// in-place ReLU after a pool): our forward pass on the 8 input PNGs must give the
// probabilities and logits BVLC Caffe computed (reference_outputs.txt), for the
// original and the upgraded files in every combination.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "net/net.hpp"
#include "support/tool_runner.hpp"

using namespace cortado;

namespace {

struct Reference {
  std::map<std::string, std::vector<std::vector<double>>> sections;  // "prob", "ip2"... -> rows
};

Reference read_reference(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  Reference ref;
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    if (section.rfind("argmax", 0) == 0) continue;
    std::istringstream s(line);
    int index;
    s >> index;
    std::vector<double> row;
    double v;
    while (s >> v) row.push_back(v);
    ref.sections[section].push_back(row);
  }
  return ref;
}

// The reference's input preparation: LeNets take u8 * 1/256 in one channel; the
// CIFAR nets take u8 - 128 in three identical channels.
void fill_inputs(Blob& data, const std::string& dir) {
  const int n = 8, c = data.shape(1), h = data.shape(2), w = data.shape(3);
  float* d = data.mutable_data();
  for (int i = 0; i < n; ++i) {
    const cv::Mat img = cv::imread(dir + "/input_" + std::to_string(i) + ".png", cv::IMREAD_GRAYSCALE);
    REQUIRE(img.rows == h);
    REQUIRE(img.cols == w);
    for (int ch = 0; ch < c; ++ch)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          const float u = img.at<unsigned char>(y, x);
          d[((i * c + ch) * h + y) * w + x] = c == 1 ? u * 0.00390625f : u - 128.f;
        }
  }
}

struct Model {
  std::string dir, caffemodel, logits;
  int channels, size;
};

void check_model(const Model& m, const std::string& prototxt, const std::string& weights) {
  const std::string dir = test::testdata("thirdparty/" + m.dir);
  INFO(m.dir << ": " << prototxt << " + " << weights);
  auto net = Net::from_file(dir + "/" + prototxt, caffe::TEST);
  net->copy_trained_layers_from(dir + "/" + weights);
  Blob& data = *net->blob_by_name("data");
  data.reshape({8, m.channels, m.size, m.size});
  net->reshape();
  fill_inputs(data, dir);
  net->forward();
  const Reference ref = read_reference(dir + "/reference_outputs.txt");
  double worst_prob = 0, worst_logit = 0;
  for (const std::string& blob : {std::string("prob"), m.logits}) {
    const auto& rows = ref.sections.at(blob);
    REQUIRE(rows.size() == 8u);
    const Blob& out = *net->blob_by_name(blob);
    REQUIRE(out.count() == 80);
    for (int i = 0; i < 8; ++i)
      for (int k = 0; k < 10; ++k) {
        const double want = rows[i][k], got = out.data()[i * 10 + k];
        if (blob == "prob") {
          worst_prob = std::max(worst_prob, std::fabs(got - want));
        } else {
          worst_logit = std::max(worst_logit, std::fabs(got - want) / std::max(1.0, std::fabs(want)));
        }
      }
  }
  INFO("max |prob diff| " << worst_prob << ", max relative logit diff " << worst_logit);
  // float32 sums in another order (16-wide AVX-512 vs 8-wide AVX2 vs Caffe's BLAS)
  // move a probability by about 1e-6 on these un-normalized (pixel - 128) inputs.
  CHECK(worst_prob < 5e-6);
  CHECK(worst_logit < 1e-5);
}

const Model kEthereon{"lenet_ethereon", "lenet_iter_10000", "ip2", 1, 28};
const Model kEverpeace{"lenet_everpeace_v1", "lenet_iter_10000", "ip2", 1, 28};
const Model kQuick{"cifar10_quick_everpeace_v1", "cifar10_quick_iter_5000", "ip2", 3, 32};
const Model kFull{"cifar10_full_everpeace_v1", "cifar10_full_iter_70000", "ip1", 3, 32};

void check_all_combinations(const Model& m) {
  const std::string orig = m.caffemodel + ".caffemodel";
  const std::string upgraded = m.caffemodel + "_upgraded.caffemodel";
  check_model(m, "net_v1.prototxt", orig);
  check_model(m, "net.prototxt", upgraded);
  check_model(m, "net_v1.prototxt", upgraded);
  check_model(m, "net.prototxt", orig);
}

}  // namespace

TEST_CASE("lenet_ethereon (new-format caffemodel) reproduces Caffe's outputs", "[engine][thirdparty]") {
  check_model(kEthereon, "net.prototxt", "lenet_iter_10000.caffemodel");
}

TEST_CASE("lenet_everpeace_v1 (V1 caffemodel) reproduces Caffe's outputs", "[engine][thirdparty]") {
  check_all_combinations(kEverpeace);
}

TEST_CASE("cifar10_quick (V1, AVE pooling) reproduces Caffe's outputs", "[engine][thirdparty]") {
  check_all_combinations(kQuick);
}

TEST_CASE("cifar10_full (V1, LRN WITHIN_CHANNEL) reproduces Caffe's outputs", "[engine][thirdparty]") {
  check_all_combinations(kFull);
}
