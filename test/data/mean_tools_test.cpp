// compute_image_mean and convert_mean end to end against Caffe's mean.binaryproto.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "caffe.pb.h"
#include "db_helpers.hpp"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"

namespace fs = std::filesystem;
using namespace cortado;
using namespace cortado::test;

namespace {

caffe::BlobProto read_blob(const std::string& path) {
  caffe::BlobProto b;
  read_binary_proto(path, b);
  return b;
}

std::string raw_datum(int c, int h, int w, char fill, int label = 0) {
  caffe::Datum d;
  d.set_channels(c);
  d.set_height(h);
  d.set_width(w);
  d.set_data(std::string(static_cast<size_t>(c) * h * w, fill));
  d.set_label(label);
  return d.SerializeAsString();
}

// The float32 payload of a .npy file, checked against the v1.0 layout by hand
// (independently of Cortado's own reader).
std::vector<float> npy_payload(const std::string& bytes, const std::string& expect_header) {
  REQUIRE(bytes.size() > 10);
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const size_t len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  CHECK((10 + len) % 64 == 0);
  std::string header = bytes.substr(10, len);
  CHECK(header.back() == '\n');
  header.erase(header.find_last_not_of(" \n") + 1);
  CHECK(header == expect_header);
  std::vector<float> data((bytes.size() - 10 - len) / 4);
  std::memcpy(data.data(), bytes.data() + 10 + len, data.size() * 4);
  return data;
}

}  // namespace

TEST_CASE("compute_image_mean reproduces Caffe's mean.binaryproto", "[data][mean]") {
  const std::string out = temp_dir("mean") + "/mean.binaryproto";
  auto r = run_tool("compute_image_mean",
                    testdata("lmdb/fashion_mnist_train1000_lmdb") + " " + out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("] mean_value channel [0]: 72.1403\n") != std::string::npos);
  CHECK(r.err.find("] Processed 1000 files.") != std::string::npos);
  const caffe::BlobProto ours = read_blob(out), caffe = read_blob(testdata("mean/mean.binaryproto"));
  CHECK(ours.num() == 1);
  CHECK(ours.channels() == 1);
  CHECK(ours.height() == 28);
  CHECK(ours.width() == 28);
  CHECK(!ours.has_shape());
  REQUIRE(ours.data_size() == caffe.data_size());
  for (int i = 0; i < ours.data_size(); ++i) {
    INFO(i);
    CHECK(std::fabs(ours.data(i) - caffe.data(i)) <= 1e-6 * std::fabs(caffe.data(i)));
  }
  // Same layout and same float arithmetic: the very same bytes.
  CHECK(slurp_file(out) == slurp_file(testdata("mean/mean.binaryproto")));
}

TEST_CASE("compute_image_mean decodes encoded datums", "[data][mean]") {
  const std::string out = temp_dir("mean_enc") + "/mean.binaryproto";
  auto r = run_tool("compute_image_mean", testdata("lmdb/images_encoded_lmdb") + " " + out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // By hand: the 60 golden PNGs as stored (gray), averaged.
  std::vector<double> sum(28 * 28, 0.0);
  for (auto& [key, v] : read_all(testdata("lmdb/images_encoded_lmdb"))) {
    const cv::Mat img = cv::imread(testdata("images/" + key.substr(9)), cv::IMREAD_UNCHANGED);
    REQUIRE(img.type() == CV_8UC1);
    for (int i = 0; i < 28 * 28; ++i) sum[i] += img.data[i];
  }
  const caffe::BlobProto ours = read_blob(out);
  REQUIRE(ours.channels() == 1);
  REQUIRE(ours.data_size() == 28 * 28);
  for (int i = 0; i < 28 * 28; ++i) CHECK(ours.data(i) == Approx(sum[i] / 60).epsilon(1e-6));
}

TEST_CASE("compute_image_mean averages float datums", "[data][mean]") {
  const std::string dir = temp_dir("mean_float");
  caffe::Datum a, b;
  for (caffe::Datum* d : {&a, &b}) {
    d->set_channels(2);
    d->set_height(1);
    d->set_width(2);
  }
  for (float v : {1.0f, 2.0f, 3.0f, 4.0f}) a.add_float_data(v);
  for (float v : {3.0f, 0.5f, -3.0f, 10.0f}) b.add_float_data(v);
  fs::create_directories(dir + "/db");
  write_db(dir + "/db", {{"0", a.SerializeAsString()}, {"1", b.SerializeAsString()}});
  auto r = run_tool("compute_image_mean", dir + "/db " + dir + "/mean.binaryproto");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const caffe::BlobProto m = read_blob(dir + "/mean.binaryproto");
  REQUIRE(m.data_size() == 4);
  CHECK(m.data(0) == 2.0f);
  CHECK(m.data(1) == 1.25f);
  CHECK(m.data(2) == 0.0f);
  CHECK(m.data(3) == 7.0f);
  CHECK(r.err.find("mean_value channel [1]: 3.5\n") != std::string::npos);
}

TEST_CASE("compute_image_mean bad inputs are one-line errors", "[data][mean][errors]") {
  const std::string dir = temp_dir("mean_errors");
  const std::string out = dir + "/out/mean.binaryproto";
  fs::create_directories(dir + "/out");
  std::string db, expect;
  SECTION("images of different sizes") {
    db = dir + "/mixed";
    fs::create_directories(db);
    write_db(db, {{"00000000", raw_datum(1, 4, 4, 1)},
                  {"00000001", raw_datum(1, 4, 4, 2)},
                  {"00000002", raw_datum(1, 5, 4, 3)},
                  {"00000003", raw_datum(1, 6, 4, 3)}});
    expect = "key '00000002': image is 1x5x4, expected 1x4x4";
  }
  SECTION("a corrupted Datum") {
    db = dir + "/corrupt";
    fs::create_directories(db);
    write_db(db, {{"00000000", raw_datum(1, 4, 4, 1)}, {"00000001", "\x22\x40short"}});
    expect = "key '00000001': not a Datum";
  }
  SECTION("an empty database") {
    db = dir + "/empty";
    fs::create_directories(db);
    write_db(db, {});
    expect = "the database is empty";
  }
  SECTION("a missing path") {
    db = dir + "/missing";
    expect = "missing: no such LMDB folder";
  }
  SECTION("a folder that is no LMDB") {
    db = testdata("images");
    expect = "not an LMDB database";
  }
  auto r = run_tool("compute_image_mean", db + " " + out);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(is_one_line_error(r.err, "compute_image_mean"));
  CHECK(r.err.find(expect) != std::string::npos);
  CHECK(fs::is_empty(dir + "/out"));
}

TEST_CASE("convert_mean writes the .npy that convert_bp_to_array.py would", "[data][mean]") {
  const std::string out = temp_dir("npy") + "/mean.npy";
  auto r = run_tool("convert_mean", testdata("mean/mean.binaryproto") + " " + out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<float> ours = npy_payload(
      slurp_file(out), "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), }");
  // Caffe's own numpy export (float64, 1x1x28x28) holds the same values.
  const std::string golden = slurp_file(testdata("mean/mean.npy"));
  const size_t len = static_cast<uint8_t>(golden[8]) | static_cast<uint8_t>(golden[9]) << 8;
  REQUIRE(golden.size() - 10 - len == 784 * 8);
  REQUIRE(ours.size() == 784);
  for (size_t i = 0; i < 784; ++i) {
    double g;
    std::memcpy(&g, golden.data() + 10 + len + i * 8, 8);
    CHECK(ours[i] == static_cast<float>(g));
  }
  if (std::system("python3 -c 'import numpy' >/dev/null 2>&1") == 0) {
    const std::string cmd = "python3 -c \"import numpy as n; a=n.load('" + out +
                            "'); assert a.shape==(1,28,28) and a.dtype==n.float32; "
                            "assert abs(a.mean()-72.14032) < 1e-4\"";
    CHECK(std::system(cmd.c_str()) == 0);
  }
}

TEST_CASE("convert_mean --per-channel, png and txt", "[data][mean]") {
  const std::string dir = temp_dir("convert_mean");
  const std::string in = testdata("mean/mean.binaryproto");
  auto r = run_tool("convert_mean", "--per-channel " + in);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "mean_value: 72.1403\n");

  REQUIRE(run_tool("convert_mean", in + " " + dir + "/mean.png").exit_code == 0);
  const cv::Mat png = cv::imread(dir + "/mean.png", cv::IMREAD_UNCHANGED);
  const caffe::BlobProto blob = read_blob(in);
  REQUIRE(png.type() == CV_8UC1);
  REQUIRE(png.rows == 28);
  for (int i = 0; i < 784; ++i) CHECK(png.data[i] == static_cast<int>(std::lround(blob.data(i))));

  REQUIRE(run_tool("convert_mean", "--format txt " + in + " " + dir + "/mean.dat").exit_code == 0);
  const std::string txt = slurp_file(dir + "/mean.dat");
  CHECK(txt.rfind("# 1 28 28\n", 0) == 0);
  CHECK(std::count(txt.begin(), txt.end(), '\n') == 29);

  // To the tool's own stdout (here a file the runner redirected it to): written there,
  // not put in place of /dev/stdout.
  r = run_tool("convert_mean", "--format txt " + in + " /dev/stdout");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == txt);
}

TEST_CASE("convert_mean bad inputs are one-line errors and write nothing",
          "[data][mean][errors]") {
  const std::string dir = temp_dir("convert_mean_errors");
  fs::create_directories(dir + "/out");
  const std::string good = slurp_file(testdata("mean/mean.binaryproto"));
  std::string in = dir + "/in.binaryproto", out = dir + "/out/mean.npy", expect;
  SECTION("a truncated binaryproto") {
    write_text(in, good.substr(0, good.size() / 2));
    expect = "truncated or not a binary caffe.BlobProto";
  }
  SECTION("a foreign file") {
    in = testdata("images/list.txt");
    expect = "list.txt:";
  }
  SECTION("a Datum instead of a BlobProto") {
    write_text(in, raw_datum(1, 2, 2, 7));
    expect = "in.binaryproto:";
  }
  SECTION("a missing file") {
    in = dir + "/nothing.binaryproto";
    expect = "nothing.binaryproto: no such file";
  }
  SECTION("an unknown output extension") {
    write_text(in, good);
    out = dir + "/out/mean.xyz";
    expect = "cannot tell the format";
  }
  auto r = run_tool("convert_mean", in + " " + out);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(is_one_line_error(r.err, "convert_mean"));
  CHECK(r.err.find(expect) != std::string::npos);
  CHECK(fs::is_empty(dir + "/out"));
}
