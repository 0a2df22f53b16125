// Caffe's HDF5 weights (.caffemodel.h5): written and read back, made by the HDF5 C
// API in Caffe's layout (groups data/<layer>/0,1,...), and the errors of a wrong
// shape, too many datasets or a missing file. Without HDF5 in this build, every
// .h5 path is a one-line error saying so, and the HDF5 tests are skipped.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <functional>
#include <vector>

#include "caffe.pb.h"
#include "hdf5/hdf5_io.hpp"
#include "net/net.hpp"
#include "support/gradient_checker.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"
#include "util/rng.hpp"

#ifdef CORTADO_WITH_HDF5
#include <hdf5.h>
#include <hdf5_hl.h>
#endif

using namespace cortado;

namespace {

caffe::NetParameter parse(const std::string& text) {
  caffe::NetParameter p;
  parse_text_proto(text, "net", p);
  return p;
}

// Two InnerProducts sharing their weights ("shared_w", owned by ip_a), not their biases.
const char* kTwoIp = R"(
  name: "two_ip"
  layer { name: "data" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
  layer { name: "ip_a" type: "InnerProduct" bottom: "data" top: "a"
          param { name: "shared_w" } param { }
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 }
                                bias_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "ip_b" type: "InnerProduct" bottom: "data" top: "b"
          param { name: "shared_w" } param { }
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 }
                                bias_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "s" }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "s" bottom: "label" top: "loss" }
)";

void fill_input(Net& net) {
  test::fill_gaussian(*net.blob_by_name("data"), 0.f, 1.f, 7);
  float* label = net.blob_by_name("label")->mutable_data();
  for (int i = 0; i < 4; ++i) label[i] = static_cast<float>(i % 5);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

#ifdef CORTADO_WITH_HDF5

namespace {

// A file made with the HDF5 C API only, as Caffe's Net::ToHDF5 lays it out.
class CFile {
 public:
  explicit CFile(const std::string& path)
      : id_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {
    REQUIRE(id_ >= 0);
  }
  ~CFile() { H5Fclose(id_); }
  void group(const char* path) const {
    const hid_t g = H5Gcreate2(id_, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(g >= 0);
    H5Gclose(g);
  }
  // Values start, start + 0.01, ...; as doubles when `as_double`.
  void floats(const char* path, std::vector<hsize_t> dims, float start,
              bool as_double = false) const {
    size_t n = 1;
    for (auto d : dims) n *= d;
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = start + 0.01 * static_cast<double>(i);
    std::vector<float> f(v.begin(), v.end());
    const herr_t s = as_double ? H5LTmake_dataset_double(id_, path, static_cast<int>(dims.size()),
                                                         dims.data(), v.data())
                               : H5LTmake_dataset_float(id_, path, static_cast<int>(dims.size()),
                                                        dims.data(), f.data());
    REQUIRE(s >= 0);
  }

 private:
  hid_t id_;
};

bool link_exists(hid_t file, const char* path) { return H5Lexists(file, path, H5P_DEFAULT) > 0; }

std::vector<hsize_t> dims_of(hid_t file, const char* path) {
  int ndims = 0;
  REQUIRE(H5LTget_dataset_ndims(file, path, &ndims) >= 0);
  std::vector<hsize_t> dims(static_cast<size_t>(ndims));
  H5T_class_t cls;
  size_t size;
  REQUIRE(H5LTget_dataset_info(file, path, dims.data(), &cls, &size) >= 0);
  CHECK(cls == H5T_FLOAT);
  CHECK(size == 4);
  return dims;
}

hsize_t links_in(hid_t file, const char* group) {
  H5G_info_t info;
  REQUIRE(H5Gget_info_by_name(file, group, &info, H5P_DEFAULT) >= 0);
  return info.nlinks;
}

}  // namespace

TEST_CASE("HDF5 weights written and read back give a second net identical outputs",
          "[engine][net][hdf5]") {
  const std::string dir = test::temp_dir("hdf5_weights");
  const std::string path = dir + "/two_ip.caffemodel.h5";
  seed_global_rng(1);
  Net a(parse(kTwoIp), caffe::TRAIN);
  seed_global_rng(2);
  Net b(parse(kTwoIp), caffe::TRAIN);
  fill_input(a);
  fill_input(b);
  a.forward();
  b.forward();
  REQUIRE(a.blob_by_name("loss")->data()[0] != b.blob_by_name("loss")->data()[0]);

  a.save_hdf5(path);
  {  // Caffe's layout, read with the C API: the shared weight only under its owner.
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    CHECK(links_in(f, "/") == 1);     // "data", no "diff"
    CHECK(links_in(f, "data") == 6);  // every layer, the inserted split too, as Caffe
    CHECK(links_in(f, "data/data") == 0);
    CHECK(dims_of(f, "data/ip_a/0") == std::vector<hsize_t>{5, 6});
    CHECK(dims_of(f, "data/ip_a/1") == std::vector<hsize_t>{5});
    CHECK_FALSE(link_exists(f, "data/ip_b/0"));
    CHECK(dims_of(f, "data/ip_b/1") == std::vector<hsize_t>{5});
    std::vector<float> w(30);
    REQUIRE(H5LTread_dataset_float(f, "data/ip_a/0", w.data()) >= 0);
    CHECK(std::memcmp(w.data(), a.params()[0]->data(), 30 * sizeof(float)) == 0);
    H5Fclose(f);
  }

  b.copy_trained_layers_from(path);  // dispatched on the .h5 suffix
  fill_input(b);
  a.forward();
  b.forward();
  for (const char* blob : {"a", "b", "s", "loss"}) {
    const Blob& x = *a.blob_by_name(blob);
    const Blob& y = *b.blob_by_name(blob);
    INFO(blob);
    CHECK(std::memcmp(x.data(), y.data(), x.count() * sizeof(float)) == 0);
  }

  // With diffs: a "diff" group, where shared parameters appear under every layer.
  a.save_hdf5(path, /*write_diff=*/true);
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  CHECK(links_in(f, "/") == 2);
  CHECK(dims_of(f, "diff/ip_b/0") == std::vector<hsize_t>{5, 6});
  H5Fclose(f);
}

TEST_CASE("HDF5 weights of layers named with slashes, a/b before a, round-trip",
          "[engine][net][hdf5]") {
  // GoogLeNet's and DenseNet's names: "blk/x1" makes the group "blk" before layer "blk".
  const char* text = R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
    layer { name: "blk/x1" type: "InnerProduct" bottom: "data" top: "h"
            inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.5 } } }
    layer { name: "blk" type: "InnerProduct" bottom: "h" top: "y"
            inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.5 } } })";
  const std::string path = test::temp_dir("hdf5_slashes") + "/blk.caffemodel.h5";
  seed_global_rng(3);
  Net a(parse(text), caffe::TEST);
  seed_global_rng(4);
  Net b(parse(text), caffe::TEST);
  a.save_hdf5(path);
  b.copy_trained_layers_from(path);
  test::fill_gaussian(*a.blob_by_name("data"), 0.f, 1.f, 5);
  test::fill_gaussian(*b.blob_by_name("data"), 0.f, 1.f, 5);
  a.forward();
  b.forward();
  const Blob& ya = *a.blob_by_name("y");
  CHECK(std::memcmp(ya.data(), b.blob_by_name("y")->data(), ya.count() * sizeof(float)) == 0);
}

TEST_CASE("a caffemodel.h5 made by the HDF5 C API in Caffe's layout loads", "[engine][net][hdf5]") {
  const std::string path = test::temp_dir("hdf5_c_api") + "/caffe.caffemodel.h5";
  {
    CFile f(path);
    f.group("data");
    f.group("data/ip_a");
    f.group("data/ip_b");
    f.group("data/not_in_net");
    f.floats("data/ip_a/0", {5, 6}, 0.5f);
    f.floats("data/ip_a/1", {5}, -1.f, /*as_double=*/true);
    f.floats("data/ip_b/1", {5}, 2.f);  // ip_b/0 is shared: its owner brings it
    f.floats("data/not_in_net/0", {3}, 0.f);
  }
  seed_global_rng(3);
  Net net(parse(kTwoIp), caffe::TRAIN);
  net.copy_trained_layers_from(path);
  const float* w = net.params()[0]->data();
  for (int i = 0; i < 30; ++i) CHECK(w[i] == Approx(0.5 + 0.01 * i));
  CHECK(net.params()[1]->data()[4] == Approx(-0.96));
  CHECK(net.params()[2]->data() == w);  // still shared
  CHECK(net.params()[3]->data()[0] == Approx(2.0));
}

TEST_CASE("HDF5 weights of a wrong shape, too many blobs or a missing file are errors",
          "[engine][net][hdf5][errors]") {
  const std::string dir = test::temp_dir("hdf5_errors");
  seed_global_rng(4);
  Net net(parse(kTwoIp), caffe::TRAIN);
  {
    CFile f(dir + "/shape.caffemodel.h5");
    f.group("data");
    f.group("data/ip_a");
    f.floats("data/ip_a/0", {5, 7}, 0.f);
    f.floats("data/ip_a/1", {5}, 0.f);
  }
  const std::string shape =
      error_of([&] { net.copy_trained_layers_from(dir + "/shape.caffemodel.h5"); });
  CHECK_THAT(shape, Catch::Contains("layer 'ip_a'") && Catch::Contains("5 7 (35)") &&
                        Catch::Contains("5 6 (30)") && Catch::Contains("param 0"));
  {
    CFile f(dir + "/many.caffemodel.h5");
    f.group("data");
    f.group("data/ip_b");
    f.floats("data/ip_b/0", {5, 6}, 0.f);
    f.floats("data/ip_b/1", {5}, 0.f);
    f.floats("data/ip_b/2", {5}, 0.f);
  }
  CHECK_THAT(error_of([&] { net.copy_trained_layers_from(dir + "/many.caffemodel.h5"); }),
             Catch::Contains("layer 'ip_b'") && Catch::Contains("3 blob(s)") &&
                 Catch::Contains("layer has 2"));
  {
    CFile f(dir + "/nobias.caffemodel.h5");  // an owned parameter without its dataset
    f.group("data");
    f.group("data/ip_a");
    f.floats("data/ip_a/0", {5, 6}, 0.f);
  }
  CHECK_THAT(error_of([&] { net.copy_trained_layers_from(dir + "/nobias.caffemodel.h5"); }),
             Catch::Contains("layer 'ip_a'") && Catch::Contains("/data/ip_a/1"));
  {
    CFile f(dir + "/nodata.caffemodel.h5");
    f.group("weights");
  }
  CHECK_THAT(error_of([&] { net.copy_trained_layers_from(dir + "/nodata.caffemodel.h5"); }),
             Catch::Contains("nodata.caffemodel.h5") && Catch::Contains("'data'"));
  const std::string missing =
      error_of([&] { net.copy_trained_layers_from(dir + "/none.caffemodel.h5"); });
  CHECK_THAT(missing,
             Catch::Contains(dir + "/none.caffemodel.h5") && Catch::Contains("no such file"));
  CHECK(missing.find('\n') == std::string::npos);
  std::ofstream(dir + "/text.caffemodel.h5") << "not hdf5\n";
  CHECK_THAT(error_of([&] { net.copy_trained_layers_from(dir + "/text.caffemodel.h5"); }),
             Catch::Contains("not an HDF5 file"));
}

#else

TEST_CASE("without HDF5 in this build, .h5 weights are a one-line error", "[engine][net][hdf5]") {
  WARN("this build has no HDF5 support (CORTADO_WITH_HDF5): HDF5 round trips skipped");
  CHECK_FALSE(hdf5_supported());
  seed_global_rng(1);
  Net net(parse(kTwoIp), caffe::TRAIN);
  const std::string e = error_of([&] { net.copy_trained_layers_from("w.caffemodel.h5"); });
  CHECK_THAT(e, Catch::Contains("w.caffemodel.h5") && Catch::Contains("no HDF5 support"));
  CHECK(e.find('\n') == std::string::npos);
  CHECK_THAT(error_of([&] { net.save_hdf5("w.caffemodel.h5"); }),
             Catch::Contains("no HDF5 support"));
}

#endif
