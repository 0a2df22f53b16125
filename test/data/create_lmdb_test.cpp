// create_lmdb end to end: Caffe's golden databases reproduced byte for byte, the
// class-folder way of labelling, splits, and every bad input as a one-line error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>

#include "caffe.pb.h"
#include "db_helpers.hpp"
#include "support/tool_runner.hpp"

namespace fs = std::filesystem;
using namespace cortado;
using namespace cortado::test;

namespace {

const char* kClasses = "tshirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle_boot";

std::string images() { return testdata("images"); }

// Runs create_lmdb with `args` followed by SOURCE and OUTPUT (quoted).
ToolResult create(const std::string& args, const std::string& source, const std::string& out) {
  return run_tool("create_lmdb", args + " '" + source + "' '" + out + "'");
}

std::map<std::string, int> list_labels() {
  std::map<std::string, int> labels;
  std::istringstream in(slurp_file(testdata("images/list.txt")));
  std::string path;
  int label;
  while (in >> path >> label) labels[path] = label;
  return labels;
}

caffe::Datum parse(const std::string& bytes) {
  caffe::Datum d;
  REQUIRE(d.ParseFromString(bytes));
  return d;
}

// Nothing named after `out` (the database or a temporary folder) is left in its folder.
bool nothing_left(const std::string& dir) { return fs::is_empty(dir); }

}  // namespace

TEST_CASE("create_lmdb with a 32x32 resize reproduces Caffe's convert_imageset bytes",
          "[data][create_lmdb]") {
  const std::string out = temp_dir("resize32") + "/db";
  auto r = create("--list " + testdata("images/list.txt") +
                      " --resize-height 32 --resize-width 32",
                  images(), out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Entries ours = read_all(out), caffe = read_all(testdata("lmdb/images_resize32_lmdb"));
  REQUIRE(ours.size() == 60);
  REQUIRE(ours.size() == caffe.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    INFO(caffe[i].first);
    CHECK(ours[i].first == caffe[i].first);
    CHECK(ours[i].second == caffe[i].second);  // the serialized Datum, byte for byte
  }
  CHECK(r.out.find("label 9: 6") != std::string::npos);
}

TEST_CASE("create_lmdb --encoded reproduces Caffe's encoded database", "[data][create_lmdb]") {
  const std::string out = temp_dir("encoded") + "/db";
  auto r = create("--list " + testdata("images/list.txt") + " --encoded", images(), out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Entries ours = read_all(out), caffe = read_all(testdata("lmdb/images_encoded_lmdb"));
  REQUIRE(ours.size() == caffe.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    INFO(caffe[i].first);
    CHECK(ours[i].first == caffe[i].first);
    CHECK(ours[i].second == caffe[i].second);
  }
}

TEST_CASE("create_lmdb --encoded with a resize re-encodes the resized image",
          "[data][create_lmdb]") {
  const std::string out = temp_dir("encresize") + "/db";
  auto r = create("--list " + testdata("images/list.txt") +
                      " --encoded --encode-type png --resize-height 32 --resize-width 32",
                  images(), out);
  REQUIRE(r.exit_code == 0);
  const Entries ours = read_all(out), raw = read_all(testdata("lmdb/images_resize32_lmdb"));
  caffe::Datum d = parse(ours[0].second), raw0 = parse(raw[0].second);
  CHECK(d.encoded());
  CHECK(d.data().substr(1, 3) == "PNG");
  CHECK(d.label() == raw0.label());
}

TEST_CASE("create_lmdb --classes labels files by whole-word keywords", "[data][create_lmdb]") {
  const std::string out = temp_dir("classes") + "/db";
  auto r = create(std::string("--classes ") + kClasses + " --resize-height 32 --resize-width 32",
                  images(), out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Same pixels and labels as Caffe's list-file database, keyed by file name.
  std::map<std::string, std::string> caffe_by_file;
  for (auto& [k, v] : read_all(testdata("lmdb/images_resize32_lmdb")))
    caffe_by_file[k.substr(9)] = v;
  const auto labels = list_labels();
  const Entries ours = read_all(out);
  REQUIRE(ours.size() == 60);
  for (auto& [k, v] : ours) {
    const std::string file = k.substr(9);
    INFO(file);
    CHECK(parse(v).label() == labels.at(file));  // "tshirt.19.png" is tshirt, not shirt
    CHECK(v == caffe_by_file.at(file));
  }
  CHECK(r.out.find("label 6 (shirt): 6") != std::string::npos);
  CHECK(r.out.find("label 0 (tshirt): 6") != std::string::npos);
}

TEST_CASE("create_lmdb --gray stores one channel", "[data][create_lmdb]") {
  const std::string out = temp_dir("gray") + "/db";
  auto r = create("--list " + testdata("images/list.txt") + " --gray", images(), out);
  REQUIRE(r.exit_code == 0);
  caffe::Datum d = parse(read_all(out)[0].second);
  CHECK(d.channels() == 1);
  CHECK(d.height() == 28);
  CHECK(d.width() == 28);
  CHECK(d.data().size() == 784);
}

TEST_CASE("create_lmdb --valid-fraction writes train_lmdb and valid_lmdb", "[data][create_lmdb]") {
  const std::string out = temp_dir("split") + "/set";
  auto r = create("--list " + testdata("images/list.txt") + " --valid-fraction 0.25 --seed 7",
                  images(), out);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const Entries train = read_all(out + "/train_lmdb"), valid = read_all(out + "/valid_lmdb");
  CHECK(train.size() == 45);
  CHECK(valid.size() == 15);
  std::set<std::string> files;
  for (auto* part : {&train, &valid})
    for (auto& [k, v] : *part) files.insert(k.substr(9));
  CHECK(files.size() == 60);  // every image exactly once
  CHECK(valid[0].first.rfind("00000000_", 0) == 0);  // each database numbered from 0
}

TEST_CASE("create_lmdb --shuffle is a seeded permutation", "[data][create_lmdb]") {
  const std::string dir = temp_dir("shuffle");
  const std::string list = " --list " + testdata("images/list.txt");
  REQUIRE(create(list + " --shuffle --seed 3", images(), dir + "/a").exit_code == 0);
  REQUIRE(create(list + " --shuffle --seed 3", images(), dir + "/b").exit_code == 0);
  REQUIRE(create(list, images(), dir + "/plain").exit_code == 0);
  const Entries a = read_all(dir + "/a"), b = read_all(dir + "/b"), plain = read_all(dir + "/plain");
  CHECK(a == b);
  std::vector<std::string> order_a, order_plain;
  for (auto& e : a) order_a.push_back(e.first.substr(9));
  for (auto& e : plain) order_plain.push_back(e.first.substr(9));
  CHECK(order_a != order_plain);
  std::sort(order_a.begin(), order_a.end());
  std::sort(order_plain.begin(), order_plain.end());
  CHECK(order_a == order_plain);
}

TEST_CASE("create_lmdb refuses to overwrite without --force", "[data][create_lmdb][errors]") {
  const std::string out = temp_dir("force") + "/db";
  const std::string args = "--list " + testdata("images/list.txt");
  REQUIRE(create(args, images(), out).exit_code == 0);
  auto again = create(args + " --gray", images(), out);
  CHECK(again.exit_code == 1);
  CHECK(is_one_line_error(again.err, "create_lmdb"));
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(parse(read_all(out)[0].second).channels() == 3);  // untouched
  auto forced = create(args + " --gray --force", images(), out);
  CHECK(forced.exit_code == 0);
  CHECK(parse(read_all(out)[0].second).channels() == 1);
  // --force never replaces the source folder itself (its images would be gone).
  const std::string copy = temp_dir("force_source") + "/images";
  fs::copy(images(), copy);
  const size_t files = std::distance(fs::directory_iterator(copy), fs::directory_iterator());
  auto onto_source = create(args + " --force", copy, copy);
  CHECK(onto_source.exit_code == 1);
  CHECK_THAT(onto_source.err, Catch::Contains("is the input"));
  CHECK(std::distance(fs::directory_iterator(copy), fs::directory_iterator()) == long(files));
}

TEST_CASE("create_lmdb errors are one line and leave nothing behind",
          "[data][create_lmdb][errors]") {
  const std::string dir = temp_dir("errors");
  const std::string parent = dir + "/out";
  fs::create_directories(parent);
  const std::string out = parent + "/db";
  std::string expect;
  ToolResult r;

  SECTION("a missing source folder") {
    r = create("--classes cat,dog", dir + "/missing", out);
    expect = "missing: no such folder";
  }
  SECTION("an empty folder") {
    fs::create_directories(dir + "/empty");
    r = create("--classes cat,dog", dir + "/empty", out);
    expect = "no image files found";
  }
  SECTION("a file that is not an image") {
    fs::create_directories(dir + "/imgs");
    fs::copy_file(testdata("images/sandal.8.png"), dir + "/imgs/sandal.8.png");
    write_text(dir + "/imgs/sandal.9.png", "this is not a PNG");
    r = create("--classes sandal", dir + "/imgs", out);
    expect = "sandal.9.png: not a readable image";
  }
  SECTION("a label keyword that matches nothing") {
    r = create("--classes cat,dog", images(), out);
    expect = "matches none of the classes";
  }
  SECTION("a list naming a missing image") {
    write_text(dir + "/list.txt", "tshirt.19.png 0\nnot_there.png 1\n");
    r = create("--list " + dir + "/list.txt", images(), out);
    expect = "not_there.png: no such image file";
  }
  SECTION("a malformed list line") {
    write_text(dir + "/list.txt", "tshirt.19.png 0\ntrouser.2.png one\n");
    r = create("--list " + dir + "/list.txt", images(), out);
    expect = "list.txt:2: expected '<relative/path> <integer label>'";
  }
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(is_one_line_error(r.err, "create_lmdb"));
  CHECK(r.err.find(expect) != std::string::npos);
  CHECK(nothing_left(parent));
}

TEST_CASE("create_lmdb --skip-bad and --skip-unlabeled count what they skip",
          "[data][create_lmdb]") {
  const std::string dir = temp_dir("skip");
  fs::create_directories(dir + "/imgs");
  for (const char* f : {"sandal.8.png", "sandal.11.png", "bag.18.png"})
    fs::copy_file(testdata(std::string("images/") + f), dir + "/imgs/" + f);
  write_text(dir + "/imgs/sandal.99.png", "garbage");
  auto r = create("--classes sandal --skip-bad --skip-unlabeled", dir + "/imgs", dir + "/db");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(read_all(dir + "/db").size() == 2);
  CHECK(r.out.find("skipped 1 unreadable") != std::string::npos);
  CHECK(r.err.find("Skipped 1 files that match no class") != std::string::npos);
}

TEST_CASE("create_lmdb usage errors exit 2", "[data][create_lmdb][errors]") {
  const std::string out = temp_dir("usage") + "/db";
  CHECK(create("", images(), out).exit_code == 2);  // neither --list nor --classes
  CHECK(create("--classes a --resize-height 32", images(), out).exit_code == 2);
  CHECK(run_tool("create_lmdb", "--classes a").exit_code == 2);
  CHECK(!fs::exists(out));
}
