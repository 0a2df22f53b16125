// The pieces under the data tools: the LMDB wrapper, the in-place Datum parser,
// class keyword matching and the .npy writer/reader.
#include <catch2/catch.hpp>
#include <filesystem>

#include "caffe.pb.h"
#include "data/datum_view.hpp"
#include "data/image_set.hpp"
#include "db/lmdb.hpp"
#include "db_helpers.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/npy.hpp"

namespace fs = std::filesystem;
using namespace cortado;
using namespace cortado::test;

TEST_CASE("LmdbReader walks, wraps, seeks and reports its position", "[data][lmdb]") {
  const std::string path = temp_dir("reader");
  write_db(path, {{"b", "2"}, {"a", "1"}, {"c", "3"}});
  LmdbReader db(path);
  REQUIRE(db.size() == 3);
  REQUIRE(db.seek_first());
  CHECK(db.key() == "a");
  CHECK(db.value() == "1");
  CHECK(db.index() == 0);
  CHECK(db.next());
  CHECK(db.key() == "b");
  CHECK(db.next());
  CHECK(db.index() == 2);
  CHECK(!db.next());
  CHECK(!db.valid());
  REQUIRE(db.seek("b"));
  CHECK(db.index() == 1);  // counted after a seek by key
  CHECK(!db.next_wrap());
  CHECK(db.key() == "c");
  CHECK(db.next_wrap());  // wrapped to the start
  CHECK(db.key() == "a");
  CHECK(db.index() == 0);
  CHECK(db.seek_index(2));
  CHECK(db.key() == "c");
  CHECK(!db.seek_index(3));
  CHECK(!db.seek("zz"));
}

TEST_CASE("LmdbReader reads a Caffe database without writing into its folder", "[data][lmdb]") {
  const std::string path = testdata("lmdb/images_encoded_lmdb");
  {
    LmdbReader db(path);
    CHECK(db.size() == 60);
    REQUIRE(db.seek_first());
    CHECK(db.key() == "00000000_ankle_boot.0.png");
  }
  CHECK(!fs::exists(path + "/lock.mdb"));
}

TEST_CASE("LmdbWriter grows its map instead of failing when full", "[data][lmdb]") {
  const std::string path = temp_dir("grow");
  const std::string value(100 * 1024, 'v');
  {
    LmdbWriter w(path, 16, size_t(1) << 20);  // a 1 MB map for 8 MB of data
    for (int i = 0; i < 80; ++i) w.put("key" + std::to_string(1000 + i), value);
    w.finish();
    CHECK(w.map_size() >= (size_t(8) << 20));
    CHECK(w.count() == 80);
  }
  const Entries all = read_all(path);
  REQUIRE(all.size() == 80);
  CHECK(all[79].first == "key1079");
  CHECK(all[79].second == value);
}

TEST_CASE("parse_datum_view reads what protobuf writes", "[data][datum]") {
  caffe::Datum d;
  d.set_channels(3);
  d.set_height(2);
  d.set_width(1);
  d.set_data(std::string("\x00\x01\x02\xff\x80\x7f", 6));
  d.set_label(-7);
  d.set_encoded(false);
  const std::string bytes = d.SerializeAsString();
  DatumView v;
  REQUIRE(parse_datum_view(bytes, v));
  CHECK(v.channels == 3);
  CHECK(v.height == 2);
  CHECK(v.width == 1);
  CHECK(v.label == -7);
  CHECK(!v.encoded);
  CHECK(v.data == d.data());

  caffe::Datum f;
  f.add_float_data(1.5f);
  f.add_float_data(-2.0f);
  f.set_encoded(true);
  const std::string float_bytes = f.SerializeAsString();
  REQUIRE(parse_datum_view(float_bytes, v));
  CHECK(v.float_data == std::vector<float>{1.5f, -2.0f});
  CHECK(v.encoded);
  CHECK(v.data.empty());

  CHECK(!parse_datum_view(bytes.substr(0, 10), v));  // cut inside the pixel data
  CHECK(!parse_datum_view(std::string("\x22\x40short"), v));
  CHECK(!parse_datum_view(std::string("\x0b"), v));  // a group start: not in a Datum
}

TEST_CASE("class keywords match whole words of the file name", "[data][image_set]") {
  const std::vector<std::string> cls = {"tshirt", "shirt", "ankle_boot", "Bag"};
  CHECK(match_class("tshirt.19.png", cls) == 0);
  CHECK(match_class("shirt.4.png", cls) == 1);
  CHECK(match_class("ankle_boot.0.png", cls) == 2);
  CHECK(match_class("sub/dir/ankle-boot_12.jpg", cls) == 2);
  CHECK(match_class("BAG.3.PNG", cls) == 3);
  CHECK(match_class("handbag.3.png", cls) == kNoClass);
  CHECK(match_class("shirt_and_bag.png", cls) == kSeveralClasses);
  CHECK(match_class("tshirt/other.png", cls) == kNoClass);  // folders do not count
  CHECK_THROWS_AS(parse_class_list("cat,,dog"), Error);
  CHECK_THROWS_AS(parse_class_list("cat,Cat"), Error);
  CHECK(parse_class_list("cat,dog").size() == 2);
}

TEST_CASE("npy files round-trip and read NumPy's float64", "[data][npy]") {
  const std::vector<float> data = {1.0f, -2.5f, 3.25f, 0.0f, 5.0f, 6.0f};
  const std::string bytes = npy_bytes({2, 3}, data);
  CHECK(bytes.size() % 64 == 6 * 4 % 64);
  const NpyArray a = parse_npy(bytes, "test.npy");
  CHECK(a.shape == std::vector<size_t>{2, 3});
  CHECK(a.data == data);
  CHECK(parse_npy(npy_bytes({4}, {1, 2, 3, 4}), "v.npy").shape == std::vector<size_t>{4});
  // Caffe's mean exported by pycaffe: float64, shape (1, 1, 28, 28).
  const NpyArray m = read_npy(testdata("mean/mean.npy"));
  CHECK(m.shape == std::vector<size_t>{1, 1, 28, 28});
  CHECK(m.data[14 * 28 + 14] == Approx(139.259995));
  CHECK_THROWS_AS(parse_npy(bytes.substr(0, 40), "cut.npy"), Error);
  CHECK_THROWS_AS(parse_npy("not numpy at all", "x.npy"), Error);
}
