// The data transformer: scale, mean file / values, crop, mirror, decoding.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "data/transformer.hpp"
#include "loss_data_util.hpp"

namespace cortado::test::lossdata {

namespace {

caffe::TransformationParameter tp(const std::string& text) {
  caffe::TransformationParameter p;
  parse_text_proto(text, "transform_param", p);
  return p;
}

// A raw datum C×H×W whose pixel i holds value i (mod 256).
caffe::Datum counting_datum(int c, int h, int w) {
  caffe::Datum d;
  d.set_channels(c);
  d.set_height(h);
  d.set_width(w);
  std::string bytes(static_cast<size_t>(c) * h * w, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i % 256);
  d.set_data(bytes);
  d.set_label(3);
  return d;
}

std::vector<float> run(Transformer& t, const caffe::Datum& d) {
  const std::vector<int> s = t.output_shape(d);
  std::vector<float> out(static_cast<size_t>(s[0]) * s[1] * s[2]);
  t.transform(d, out.data());
  return out;
}

std::string write_mean(const std::string& name, const std::vector<int>& legacy_chw,
                       const std::vector<float>& values) {
  caffe::BlobProto mean;
  mean.set_num(1);
  mean.set_channels(legacy_chw[0]);
  mean.set_height(legacy_chw[1]);
  mean.set_width(legacy_chw[2]);
  for (float v : values) mean.add_data(v);
  const std::string path = temp_dir("transformer") + "/" + name;
  write_binary_proto(path, mean);
  return path;
}

}  // namespace

TEST_CASE("Transformer scales raw and float datums", "[data][transformer]") {
  Transformer t(tp("scale: 0.5"), caffe::TEST);
  expect_near(run(t, counting_datum(1, 2, 3)), {0, 0.5f, 1, 1.5f, 2, 2.5f});
  caffe::Datum f;
  f.set_channels(1);
  f.set_height(1);
  f.set_width(3);
  for (float v : {-1.f, 2.5f, 10.f}) f.add_float_data(v);
  expect_near(run(t, f), {-0.5f, 1.25f, 5.f});
  caffe::Datum bad = counting_datum(1, 2, 3);
  bad.set_width(4);
  CHECK_THROWS_WITH(run(t, bad), Catch::Contains("holds 6 bytes"));
}

TEST_CASE("Transformer subtracts mean_value before scaling", "[data][transformer]") {
  // Two channels of 2 pixels: 0 1 | 2 3.
  Transformer one(tp("mean_value: 1 scale: 2"), caffe::TEST);
  expect_near(run(one, counting_datum(2, 1, 2)), {-2, 0, 2, 4});
  Transformer per_channel(tp("mean_value: 1 mean_value: 3 scale: 2"), caffe::TEST);
  expect_near(run(per_channel, counting_datum(2, 1, 2)), {-2, 0, -2, 0});
  Transformer wrong(tp("mean_value: 1 mean_value: 2 mean_value: 3"), caffe::TEST);
  CHECK_THROWS_WITH(run(wrong, counting_datum(2, 1, 2)), Catch::Contains("mean_value"));
}

TEST_CASE("Transformer subtracts the mean_file image before scaling", "[data][transformer]") {
  const std::string path = write_mean("m.binaryproto", {1, 2, 2}, {0.5f, 1, 1, 10});
  Transformer t(tp("mean_file: '" + path + "' scale: 0.1"), caffe::TEST);
  expect_near(run(t, counting_datum(1, 2, 2)), {-0.05f, 0.f, 0.1f, -0.7f});
  // The mean is indexed at the uncropped position: a centre crop of 1 from 3x3 picks pixel 4.
  const std::string big = write_mean("m3.binaryproto", {1, 3, 3}, {0, 0, 0, 0, 2.5f, 0, 0, 0, 0});
  Transformer crop(tp("mean_file: '" + big + "' crop_size: 1"), caffe::TEST);
  expect_near(run(crop, counting_datum(1, 3, 3)), {1.5f});
  // Shape mismatch, and mean_file with mean_value, are errors.
  CHECK_THROWS_WITH(run(t, counting_datum(1, 3, 3)), Catch::Contains("mean_file"));
  CHECK_THROWS_AS(Transformer(tp("mean_file: '" + path + "' mean_value: 1"), caffe::TEST), Error);
  CHECK_THROWS_AS(Transformer(tp("mean_file: '/nonexistent/m.binaryproto'"), caffe::TEST), Error);
}

TEST_CASE("Transformer reads Caffe's legacy-shaped mean.binaryproto", "[data][transformer]") {
  // compute_image_mean's output for the 1000-image LMDB: legacy dims 1x1x28x28.
  caffe::BlobProto mean;
  read_binary_proto(testdata("mean/mean.binaryproto"), mean);
  Transformer t(tp("mean_file: '" + testdata("mean/mean.binaryproto") + "'"), caffe::TEST);
  const caffe::Datum d = counting_datum(1, 28, 28);
  const std::vector<float> out = run(t, d);
  REQUIRE(out.size() == 784u);
  for (int i : {0, 14 * 28 + 14, 783})
    CHECK(out[i] == Approx(static_cast<float>(i % 256) - mean.data(i)));
}

TEST_CASE("Transformer crops the centre in TEST", "[data][transformer]") {
  // 1x4x4 counting 0..15; centre 2x2 at offset (1, 1).
  Transformer t(tp("crop_size: 2"), caffe::TEST);
  CHECK(t.output_shape(counting_datum(1, 4, 4)) == std::vector<int>{1, 2, 2});
  expect_near(run(t, counting_datum(1, 4, 4)), {5, 6, 9, 10});
  // 5x5 -> 2x2: offset (5 - 2) / 2 = 1.
  expect_near(run(t, counting_datum(1, 5, 5)), {6, 7, 11, 12});
  Transformer too_big(tp("crop_size: 5"), caffe::TEST);
  CHECK_THROWS_WITH(too_big.output_shape(counting_datum(1, 4, 4)), Catch::Contains("crop_size"));
}

TEST_CASE("Transformer crops at random offsets in TRAIN", "[data][transformer]") {
  Transformer t(tp("crop_size: 2"), caffe::TRAIN);
  t.seed(42);
  std::set<float> corners;  // the top-left value identifies the offset
  for (int i = 0; i < 200; ++i) {
    const std::vector<float> out = run(t, counting_datum(1, 4, 4));
    const float c = out[0];
    CHECK(out[1] == c + 1);
    CHECK(out[2] == c + 4);
    CHECK(out[3] == c + 5);
    corners.insert(c);
  }
  CHECK(corners == std::set<float>{0, 1, 2, 4, 5, 6, 8, 9, 10});
}

TEST_CASE("Transformer mirrors at random in TRAIN only", "[data][transformer]") {
  const caffe::Datum d = counting_datum(2, 1, 3);  // 0 1 2 | 3 4 5
  Transformer train(tp("mirror: true"), caffe::TRAIN);
  train.seed(7);
  int flipped = 0, kept = 0;
  for (int i = 0; i < 100; ++i) {
    const std::vector<float> out = run(train, d);
    if (out == std::vector<float>{2, 1, 0, 5, 4, 3}) ++flipped;
    if (out == std::vector<float>{0, 1, 2, 3, 4, 5}) ++kept;
  }
  CHECK(flipped + kept == 100);
  CHECK(flipped > 20);
  CHECK(kept > 20);
  Transformer test(tp("mirror: true crop_size: 2"), caffe::TEST);
  CHECK_FALSE(test.is_random());
  for (int i = 0; i < 20; ++i) expect_near(run(test, counting_datum(1, 3, 3)), {0, 1, 3, 4});
}

TEST_CASE("Transformer random state can be saved and restored", "[data][transformer]") {
  Transformer t(tp("mirror: true crop_size: 3"), caffe::TRAIN);
  t.seed(123);
  const caffe::Datum d = counting_datum(3, 8, 8);
  run(t, d);
  const std::string state = t.rng_state();
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(run(t, d));
  Transformer u(tp("mirror: true crop_size: 3"), caffe::TRAIN);
  u.set_rng_state(state);
  for (int i = 0; i < 10; ++i) CHECK(run(u, d) == expected[i]);
  // The same seed gives the same draws.
  Transformer a(tp("crop_size: 3"), caffe::TRAIN), b(tp("crop_size: 3"), caffe::TRAIN);
  a.seed(99);
  b.seed(99);
  for (int i = 0; i < 10; ++i) CHECK(run(a, d) == run(b, d));
  CHECK_THROWS_AS(u.set_rng_state("not a state"), Error);
}

TEST_CASE("Transformer takes OpenCV images (HWC) to CHW", "[data][transformer]") {
  // 2x2 BGR image; pixel (y, x) channel k = 100 y + 10 x + k.
  cv::Mat img(2, 2, CV_8UC3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      for (int k = 0; k < 3; ++k) img.ptr<uint8_t>(y)[x * 3 + k] = 100 * y + 10 * x + k;
  Transformer t(tp("mean_value: 0 mean_value: 1 mean_value: 2"), caffe::TEST);
  CHECK(t.output_shape(img) == std::vector<int>{3, 2, 2});
  std::vector<float> out(12);
  t.transform(img, out.data());
  expect_near(out, {0, 10, 100, 110, 0, 10, 100, 110, 0, 10, 100, 110});
  Blob blob;
  t.transform(img, blob);
  CHECK(blob.shape() == std::vector<int>{1, 3, 2, 2});
  // The same image as a raw datum (CHW bytes) transforms identically, crop and mirror included.
  caffe::Datum d;
  d.set_channels(3);
  d.set_height(2);
  d.set_width(2);
  std::string bytes(12, '\0');
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) bytes[(k * 2 + y) * 2 + x] = static_cast<char>(100 * y + 10 * x + k);
  d.set_data(bytes);
  Transformer m1(tp("mirror: true crop_size: 1 scale: 0.5"), caffe::TRAIN);
  Transformer m2(tp("mirror: true crop_size: 1 scale: 0.5"), caffe::TRAIN);
  m1.seed(5);
  m2.seed(5);
  for (int i = 0; i < 10; ++i) {
    std::vector<float> a(3), b(3);
    m1.transform(img, a.data());
    m2.transform(d, b.data());
    CHECK(a == b);
  }
}

TEST_CASE("Transformer decodes encoded datums, honouring force_color and force_gray",
          "[data][transformer]") {
  cv::Mat gray(3, 4, CV_8UC1);
  for (int i = 0; i < 12; ++i) gray.data[i] = static_cast<uint8_t>(20 * i);
  std::vector<uchar> png;
  REQUIRE(cv::imencode(".png", gray, png));
  caffe::Datum d;
  d.set_encoded(true);
  d.set_data(png.data(), png.size());
  Transformer native(tp(""), caffe::TEST);
  CHECK(native.output_shape(d) == std::vector<int>{1, 3, 4});
  const std::vector<float> out = run(native, d);
  for (int i = 0; i < 12; ++i) CHECK(out[i] == 20.f * i);
  Transformer color(tp("force_color: true"), caffe::TEST);
  CHECK(color.output_shape(d) == std::vector<int>{3, 3, 4});
  const std::vector<float> c = run(color, d);
  for (int i = 0; i < 12; ++i) CHECK(c[24 + i] == 20.f * i);  // every channel equal
  // A colour PNG forced to gray has one channel.
  cv::Mat bgr(2, 2, CV_8UC3, cv::Scalar(10, 20, 30));
  REQUIRE(cv::imencode(".png", bgr, png));
  d.set_data(png.data(), png.size());
  Transformer to_gray(tp("force_gray: true"), caffe::TEST);
  CHECK(to_gray.output_shape(d) == std::vector<int>{1, 2, 2});
  CHECK(native.output_shape(d) == std::vector<int>{3, 2, 2});
  CHECK_THROWS_AS(Transformer(tp("force_gray: true force_color: true"), caffe::TEST), Error);
  d.set_data("not an image");
  CHECK_THROWS_AS(run(native, d), Error);
}

}  // namespace cortado::test::lossdata
