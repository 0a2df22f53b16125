// ImageData, Input and DummyData.
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "data/prefetch.hpp"
#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

namespace {

std::string image_data(int batch, const std::string& extra = "") {
  return "name: 'images' type: 'ImageData' image_data_param { source: '" +
         testdata("images/list.txt") + "' root_folder: '" + testdata("images") + "/' batch_size: " +
         std::to_string(batch) + " " + extra + " }";
}

// The list as written: (file, label).
std::vector<std::pair<std::string, int>> listed() {
  std::ifstream in(testdata("images/list.txt"));
  std::vector<std::pair<std::string, int>> out;
  std::string file;
  int label;
  while (in >> file >> label) out.emplace_back(file, label);
  return out;
}

}  // namespace

TEST_CASE("ImageData reads the listed images in order, in colour by default",
          "[layers][image_data]") {
  const auto list = listed();
  REQUIRE(list.size() == 60u);
  auto layer = layer_of(image_data(4));
  Blob data, label;
  layer->setup({}, {&data, &label});
  CHECK(data.shape() == std::vector<int>{4, 3, 28, 28});
  layer->forward({}, {&data, &label});
  for (int n = 0; n < 4; ++n) {
    CHECK(label.data()[n] == list[n].second);
    const cv::Mat img = cv::imread(testdata("images/" + list[n].first), cv::IMREAD_COLOR);
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 784; i += 17)
        CHECK(data.data()[(n * 3 + c) * 784 + i] == img.data[i * 3 + c]);
  }
}

TEST_CASE("ImageData is_color false and new_height/new_width", "[layers][image_data]") {
  auto layer = layer_of(image_data(2, "is_color: false new_height: 32 new_width: 30"));
  Blob data, label;
  layer->setup({}, {&data, &label});
  CHECK(data.shape() == std::vector<int>{2, 1, 32, 30});
  layer->forward({}, {&data, &label});
  const cv::Mat img = cv::imread(testdata("images/ankle_boot.0.png"), cv::IMREAD_GRAYSCALE);
  cv::Mat resized;
  cv::resize(img, resized, cv::Size(30, 32));
  for (int i = 0; i < 32 * 30; i += 11) CHECK(data.data()[i] == resized.data[i]);
  auto half = layer_of(image_data(2, "new_height: 32"));
  CHECK_THROWS_WITH(half->setup({}, {&data, &label}), Catch::Contains("new_width"));
}

TEST_CASE("ImageData shuffles each epoch and resumes exactly from a saved state",
          "[layers][image_data]") {
  const auto list = listed();
  const std::string text = image_data(25, "shuffle: true");
  auto a = layer_of(text);
  Blob data, label;
  a->setup({}, {&data, &label});
  auto& pa = dynamic_cast<PrefetchingDataLayer&>(*a);
  pa.seed(11);
  // Epoch 1 (batches 0-1 and most of 2) is a permutation of the list.
  std::vector<float> first_epoch;
  for (int b = 0; b < 2; ++b) {
    a->forward({}, {&data, &label});
    for (int n = 0; n < 25; ++n) first_epoch.push_back(label.data()[n]);
  }
  const std::string state = pa.save_state();
  CHECK(pa.position() == 50);
  std::vector<std::vector<float>> expected;
  for (int b = 0; b < 4; ++b) {  // crosses into the second and third epoch
    a->forward({}, {&data, &label});
    expected.push_back(data_of(label));
    expected.push_back(data_of(data));
  }
  for (int n = 0; n < 10; ++n) first_epoch.push_back(expected[0][n]);
  std::multiset<float> want;
  for (const auto& [file, l] : list) want.insert(static_cast<float>(l));
  CHECK(std::multiset<float>(first_epoch.begin(), first_epoch.end()) == want);
  std::vector<float> in_order;
  for (int n = 0; n < 50; ++n) in_order.push_back(static_cast<float>(list[n].second));
  CHECK(std::vector<float>(first_epoch.begin(), first_epoch.begin() + 50) != in_order);

  auto b = layer_of(text);
  Blob data2, label2;
  b->setup({}, {&data2, &label2});
  auto& pb = dynamic_cast<PrefetchingDataLayer&>(*b);
  pb.restore_state(state);
  for (int i = 0; i < 4; ++i) {
    b->forward({}, {&data2, &label2});
    CHECK(data_of(label2) == expected[2 * i]);
    CHECK(data_of(data2) == expected[2 * i + 1]);
  }
  CHECK_THROWS_WITH(pb.restore_state("cortado-data-state Data\nindex 3\n"),
                    Catch::Contains("ImageData"));
}

TEST_CASE("ImageData rejects malformed lists and missing images", "[layers][image_data]") {
  const std::string dir = temp_dir("image_data");
  {
    std::ofstream(dir + "/bad.txt") << "ankle_boot.0.png 9\nno_label_here\n";
    std::ofstream(dir + "/missing.txt") << "does_not_exist.png 1\n";
  }
  Blob data, label;
  auto bad = layer_of("type: 'ImageData' image_data_param { source: '" + dir +
                      "/bad.txt' root_folder: '" + testdata("images") + "/' batch_size: 1 }");
  CHECK_THROWS_WITH(bad->setup({}, {&data, &label}), Catch::Contains("bad.txt:2"));
  auto missing = layer_of("type: 'ImageData' image_data_param { source: '" + dir +
                          "/missing.txt' batch_size: 1 }");
  CHECK_THROWS_WITH(missing->setup({}, {&data, &label}), Catch::Contains("does_not_exist.png"));
  // A label past int's range would wrap around into another class (4294967299 -> 3).
  std::ofstream(dir + "/huge.txt") << "ankle_boot.0.png 4294967299\n";
  auto huge = layer_of("type: 'ImageData' image_data_param { source: '" + dir +
                       "/huge.txt' root_folder: '" + testdata("images") + "/' batch_size: 1 }");
  CHECK_THROWS_WITH(huge->setup({}, {&data, &label}), Catch::Contains("huge.txt:1"));
}

TEST_CASE("Input shapes its tops from input_param", "[layers][input]") {
  Blob a, b;
  auto one = layer_of("type: 'Input' input_param { shape { dim: 2 dim: 3 } }");
  one->setup({}, {&a, &b});
  CHECK(a.shape() == std::vector<int>{2, 3});
  CHECK(b.shape() == std::vector<int>{2, 3});
  auto each = layer_of("type: 'Input' input_param { shape { dim: 1 } shape { dim: 4 dim: 5 } }");
  each->setup({}, {&a, &b});
  CHECK(a.shape() == std::vector<int>{1});
  CHECK(b.shape() == std::vector<int>{4, 5});
  // Values written by the caller survive forward.
  a.mutable_data()[0] = 7.f;
  each->forward({}, {&a, &b});
  CHECK(a.data()[0] == 7.f);
  Blob c;
  auto wrong = layer_of("type: 'Input' input_param { shape { dim: 1 } shape { dim: 2 } }");
  CHECK_THROWS_AS(wrong->setup({}, {&a, &b, &c}), Error);
}

TEST_CASE("DummyData fills constant tops once, in modern or legacy shapes", "[layers][dummy_data]") {
  Blob a, b;
  auto layer = layer_of(
      "type: 'DummyData' dummy_data_param { shape { dim: 2 dim: 3 } shape { dim: 4 } "
      "data_filler { type: 'constant' value: 1.5 } data_filler { type: 'constant' value: -2 } }");
  layer->setup({}, {&a, &b});
  CHECK(a.shape() == std::vector<int>{2, 3});
  CHECK(b.shape() == std::vector<int>{4});
  layer->forward({}, {&a, &b});
  expect_near(data_of(a), std::vector<float>(6, 1.5f));
  expect_near(data_of(b), std::vector<float>(4, -2.f));
  auto legacy = layer_of("type: 'DummyData' dummy_data_param { num: 2 channels: 1 height: 3 width: 4 }");
  legacy->setup({}, {&a});
  CHECK(a.shape() == std::vector<int>{2, 1, 3, 4});
  CHECK(a.asum_data() == 0.f);  // no filler: zeros
  auto both = layer_of("type: 'DummyData' dummy_data_param { num: 2 shape { dim: 1 } }");
  CHECK_THROWS_AS(both->setup({}, {&a}), Error);
  auto fillers = layer_of("type: 'DummyData' dummy_data_param { shape { dim: 1 } "
                          "data_filler { value: 1 } data_filler { value: 2 } }");
  CHECK_THROWS_AS(fillers->setup({}, {&a, &b, &b}), Error);
}

TEST_CASE("DummyData refills random tops at every forward", "[layers][dummy_data]") {
  Blob a;
  auto layer = layer_of("type: 'DummyData' dummy_data_param { shape { dim: 100 } "
                        "data_filler { type: 'uniform' min: 2 max: 3 } }");
  layer->setup({}, {&a});
  layer->forward({}, {&a});
  const std::vector<float> first = data_of(a);
  for (float v : first) CHECK((v >= 2.f && v <= 3.f));
  layer->forward({}, {&a});
  CHECK(data_of(a) != first);
}

}  // namespace cortado::test::lossdata
