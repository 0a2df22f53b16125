// retrieve_lmdb end to end on Caffe-made databases: listings, summary, and the
// exported PNGs equal to the golden images pixel for pixel.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "caffe.pb.h"
#include "data/lmdb_inspect.hpp"
#include "db_helpers.hpp"
#include "support/tool_runner.hpp"

namespace fs = std::filesystem;
using namespace cortado;
using namespace cortado::test;

namespace {

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  return cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

ToolResult retrieve(const std::string& args) { return run_tool("retrieve_lmdb", args); }

}  // namespace

TEST_CASE("retrieve_lmdb --export gives back Caffe's encoded images pixel for pixel",
          "[data][retrieve_lmdb]") {
  const std::string out = temp_dir("export_enc") + "/png";
  auto r = retrieve("--export " + out + " " + testdata("lmdb/images_encoded_lmdb"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  size_t n = 0;
  for (auto& [key, value] : read_all(testdata("lmdb/images_encoded_lmdb"))) {
    caffe::Datum d;
    REQUIRE(d.ParseFromString(value));
    const std::string file = key.substr(9);
    INFO(file);
    const cv::Mat exported =
        cv::imread(out + "/" + export_file_name(key, d.label()), cv::IMREAD_UNCHANGED);
    const cv::Mat golden = cv::imread(testdata("images/" + file), cv::IMREAD_UNCHANGED);
    REQUIRE(!golden.empty());
    CHECK(same_pixels(exported, golden));
    ++n;
  }
  CHECK(n == 60);
  CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == 60);
}

TEST_CASE("retrieve_lmdb --export gives back Caffe's raw resized images pixel for pixel",
          "[data][retrieve_lmdb]") {
  const std::string out = temp_dir("export_raw") + "/png";
  auto r = retrieve("--export " + out + " " + testdata("lmdb/images_resize32_lmdb"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (auto& [key, value] : read_all(testdata("lmdb/images_resize32_lmdb"))) {
    caffe::Datum d;
    REQUIRE(d.ParseFromString(value));
    INFO(key);
    const cv::Mat exported =
        cv::imread(out + "/" + export_file_name(key, d.label()), cv::IMREAD_UNCHANGED);
    // What Caffe stored: the golden PNG read as colour and resized bilinearly to 32x32.
    cv::Mat golden;
    cv::resize(cv::imread(testdata("images/" + key.substr(9)), cv::IMREAD_COLOR), golden,
               cv::Size(32, 32));
    CHECK(same_pixels(exported, golden));
  }
}

TEST_CASE("retrieve_lmdb lists entries as a table, CSV and JSON lines", "[data][retrieve_lmdb]") {
  const std::string db = testdata("lmdb/images_resize32_lmdb");
  auto csv = retrieve("--format csv --limit 2 " + db);
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out ==
        "key,label,channels,height,width,kind,bytes\n"
        "00000000_ankle_boot.0.png,9,3,32,32,raw,3072\n"
        "00000001_pullover.1.png,2,3,32,32,raw,3072\n");
  auto jsonl = retrieve("--format jsonl --key 00000001_pullover.1.png " + db);
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out ==
        "{\"key\": \"00000001_pullover.1.png\", \"label\": 2, \"channels\": 3, \"height\": 32, "
        "\"width\": 32, \"encoded\": false, \"bytes\": 3072}\n");
  auto table = retrieve(testdata("lmdb/images_encoded_lmdb"));
  REQUIRE(table.exit_code == 0);
  CHECK(std::count(table.out.begin(), table.out.end(), '\n') == 61);  // header + 60
  auto first = retrieve("--limit 1 " + testdata("lmdb/images_encoded_lmdb"));
  CHECK(first.out ==
        "key                        label  shape         kind     bytes\n"
        "00000000_ankle_boot.0.png  9      1x28x28       encoded  394\n");
}

TEST_CASE("retrieve_lmdb --summary counts shapes and labels of a Caffe database",
          "[data][retrieve_lmdb]") {
  auto r = retrieve("--summary " + testdata("lmdb/fashion_mnist_train1000_lmdb"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("entries: 1000\n") != std::string::npos);
  CHECK(r.out.find("  1x28x28 raw: 1000\n") != std::string::npos);
  // The ten labels add up to 1000.
  size_t total = 0;
  for (int label = 0; label < 10; ++label) {
    const std::string tag = "\n  " + std::to_string(label) + ": ";
    const size_t at = r.out.find(tag, r.out.find("labels:"));
    REQUIRE(at != std::string::npos);
    total += std::stoul(r.out.substr(at + tag.size()));
  }
  CHECK(total == 1000);
}

TEST_CASE("retrieve_lmdb bad inputs are one-line errors", "[data][retrieve_lmdb][errors]") {
  const std::string dir = temp_dir("retrieve_errors");
  std::string args, expect;
  SECTION("a missing path") {
    args = dir + "/nothing";
    expect = "nothing: no such LMDB folder";
  }
  SECTION("a folder that is no LMDB") {
    fs::create_directories(dir + "/plain");
    write_text(dir + "/plain/readme.txt", "hello");
    args = dir + "/plain";
    expect = "not an LMDB database";
  }
  SECTION("a damaged data.mdb") {
    fs::create_directories(dir + "/damaged");
    write_text(dir + "/damaged/data.mdb", std::string(8192, 'x'));
    args = dir + "/damaged";
    expect = "damaged";
  }
  SECTION("a data.mdb cut short (LMDB maps it: a read past its end was a SIGBUS)") {
    const std::string db = dir + "/short";
    fs::create_directories(db);
    const std::string whole = testdata("lmdb/fashion_mnist_test200_lmdb/data.mdb");
    fs::copy_file(whole, db + "/data.mdb");
    fs::resize_file(db + "/data.mdb", 8192);
    args = "--summary " + db;
    expect = "not a whole LMDB database: data.mdb has 8192 bytes";
  }
  SECTION("a corrupted Datum") {
    fs::create_directories(dir + "/bad");
    write_db(dir + "/bad", {{"00000000_a.png", "\x08\x03\x22\xff\xff garbage"}});
    args = dir + "/bad";
    expect = "key '00000000_a.png': not a Datum";
  }
  SECTION("a key that is not there") {
    args = "--key nope " + testdata("lmdb/images_encoded_lmdb");
    expect = "no entry with key 'nope'";
  }
  auto r = retrieve(args);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(is_one_line_error(r.err, "retrieve_lmdb"));
  CHECK(r.err.find(expect) != std::string::npos);
}

TEST_CASE("retrieve_lmdb --export refuses an existing folder and leaves nothing on error",
          "[data][retrieve_lmdb][errors]") {
  const std::string dir = temp_dir("export_errors");
  fs::create_directories(dir + "/exists");
  auto r = retrieve("--export " + dir + "/exists " + testdata("lmdb/images_encoded_lmdb"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("already exists") != std::string::npos);

  fs::create_directories(dir + "/bad");
  caffe::Datum good;
  good.set_channels(1);
  good.set_height(2);
  good.set_width(2);
  good.set_data(std::string(4, '\x10'));
  write_db(dir + "/bad", {{"a", good.SerializeAsString()}, {"b", "\x22\x05zz"}});
  fs::create_directories(dir + "/target");
  r = retrieve("--export " + dir + "/target/png " + dir + "/bad");
  CHECK(r.exit_code == 1);
  CHECK(is_one_line_error(r.err, "retrieve_lmdb"));
  CHECK(fs::is_empty(dir + "/target"));
}
