// HDF5Data and HDF5Output on small HDF5 files written here with the HDF5 C API: rows in
// order across files with wrap-around, shuffled passes, the errors of bad lists and
// files, training through a Net, and the file HDF5Output leaves. Without HDF5 in this
// build, both layers are a one-line error saying so, and the file tests are skipped.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "hdf5/hdf5_io.hpp"
#include "layers/registry.hpp"
#include "net/net.hpp"
#include "support/tool_runner.hpp"
#include "util/error.hpp"
#include "util/proto_io.hpp"
#include "util/rng.hpp"

#ifdef CORTADO_WITH_HDF5
#include <hdf5.h>
#include <hdf5_hl.h>
#endif

namespace cortado::test {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

caffe::LayerParameter hdf5_data_param(const std::string& source, int batch_size,
                                      bool shuffle = false) {
  caffe::LayerParameter p;
  p.set_name("h5");
  p.set_type("HDF5Data");
  p.add_top("data");
  p.add_top("label");
  p.mutable_hdf5_data_param()->set_source(source);
  p.mutable_hdf5_data_param()->set_batch_size(batch_size);
  p.mutable_hdf5_data_param()->set_shuffle(shuffle);
  return p;
}

// Sets up the layer on two fresh tops; the error of setup, if any, is thrown.
struct DataTops {
  Blob data, label;
  std::unique_ptr<Layer> layer;
  explicit DataTops(const caffe::LayerParameter& p) : layer(create_layer(p)) {
    layer->setup({}, {&data, &label});
  }
  void forward() { layer->forward({}, {&data, &label}); }
};

#ifdef CORTADO_WITH_HDF5

void make_dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                  const std::vector<float>& values) {
  REQUIRE(H5LTmake_dataset_float(file, name, static_cast<int>(dims.size()), dims.data(),
                                 values.data()) >= 0);
}

// Items first..first+n-1: "data" n x 2 x 1 x 2 holding 100*item + k, "label" n holding item.
void write_items(const std::string& path, int first, int n) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(file >= 0);
  std::vector<float> data, label;
  for (int i = first; i < first + n; ++i) {
    label.push_back(static_cast<float>(i));
    for (int k = 0; k < 4; ++k) data.push_back(static_cast<float>(100 * i + k));
  }
  make_dataset(file, "data", {hsize_t(n), 2, 1, 2}, data);
  make_dataset(file, "label", {hsize_t(n)}, label);
  H5Fclose(file);
}

// A list of two files, items 0-2 and 3-4.
std::string two_files(const std::string& dir) {
  write_items(dir + "/a.h5", 0, 3);
  write_items(dir + "/b.h5", 3, 2);
  write_text(dir + "/list.txt", dir + "/a.h5\n" + dir + "/b.h5\n");
  return dir + "/list.txt";
}

// The labels of one batch, after checking that each row's data matches its label.
std::vector<int> batch_items(const DataTops& t) {
  std::vector<int> items;
  for (int i = 0; i < t.label.count(); ++i) {
    const int item = static_cast<int>(t.label.data()[i]);
    for (int k = 0; k < 4; ++k) REQUIRE(t.data.data()[i * 4 + k] == float(100 * item + k));
    items.push_back(item);
  }
  return items;
}

TEST_CASE("HDF5Data reads rows in order across files and wraps around", "[layers][hdf5_data]") {
  const std::string dir = temp_dir("hdf5_data_order");
  DataTops t(hdf5_data_param(two_files(dir), 4));
  CHECK(t.data.shape() == std::vector<int>{4, 2, 1, 2});
  CHECK(t.label.shape() == std::vector<int>{4});
  t.forward();
  CHECK(batch_items(t) == std::vector<int>{0, 1, 2, 3});
  t.forward();
  CHECK(batch_items(t) == std::vector<int>{4, 0, 1, 2});
  t.forward();
  CHECK(batch_items(t) == std::vector<int>{3, 4, 0, 1});
}

TEST_CASE("HDF5Data shuffle gives every row once per pass, in another order",
          "[layers][hdf5_data]") {
  const std::string dir = temp_dir("hdf5_data_shuffle");
  const std::string list = two_files(dir);
  seed_global_rng(17);
  DataTops t(hdf5_data_param(list, 5, true));
  std::vector<int> all;
  for (int pass = 0; pass < 4; ++pass) {
    t.forward();
    std::vector<int> items = batch_items(t);
    all.insert(all.end(), items.begin(), items.end());
    std::sort(items.begin(), items.end());
    CHECK(items == std::vector<int>{0, 1, 2, 3, 4});
  }
  std::vector<int> in_order;
  for (int pass = 0; pass < 4; ++pass)
    for (int i = 0; i < 5; ++i) in_order.push_back(i);
  CHECK(all != in_order);
  // The same seed gives the same order.
  seed_global_rng(17);
  DataTops again(hdf5_data_param(list, 5, true));
  std::vector<int> all_again;
  for (int pass = 0; pass < 4; ++pass) {
    again.forward();
    const std::vector<int> items = batch_items(again);
    all_again.insert(all_again.end(), items.begin(), items.end());
  }
  CHECK(all_again == all);
}

TEST_CASE("HDF5Data refuses bad lists and files, naming the layer and the file",
          "[layers][hdf5_data]") {
  const std::string dir = temp_dir("hdf5_data_bad");
  const std::string list = two_files(dir);
  auto setup_error = [](const caffe::LayerParameter& p) {
    return error_of([&] { DataTops t(p); });
  };
  // Each error is one line naming the layer, then the parts given.
  auto check_error = [](const std::string& e, const std::vector<std::string>& parts) {
    INFO(e);
    CHECK(e.find("layer 'h5'") != std::string::npos);
    CHECK(e.find('\n') == std::string::npos);
    for (const std::string& part : parts) CHECK(e.find(part) != std::string::npos);
  };

  check_error(setup_error(hdf5_data_param("", 4)), {"source is not set"});
  check_error(setup_error(hdf5_data_param(list, 0)), {"batch_size"});
  check_error(setup_error(hdf5_data_param(dir + "/nowhere.txt", 4)),
              {"nowhere.txt", "cannot open"});
  write_text(dir + "/empty.txt", "\n  \n");
  check_error(setup_error(hdf5_data_param(dir + "/empty.txt", 4)), {"empty.txt", "empty"});
  write_text(dir + "/missing.txt", dir + "/gone.h5\n");
  check_error(setup_error(hdf5_data_param(dir + "/missing.txt", 4)), {"gone.h5"});

  {  // no "label" dataset
    const hid_t f =
        H5Fcreate((dir + "/nolabel.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    make_dataset(f, "data", {2, 4}, std::vector<float>(8, 1.f));
    H5Fclose(f);
    write_text(dir + "/nolabel.txt", dir + "/nolabel.h5\n");
    check_error(setup_error(hdf5_data_param(dir + "/nolabel.txt", 4)),
                {"nolabel.h5:/label", "no such dataset"});
  }
  {  // 3 rows of data, 2 labels
    const hid_t f = H5Fcreate((dir + "/rows.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    make_dataset(f, "data", {3, 4}, std::vector<float>(12, 1.f));
    make_dataset(f, "label", {2}, std::vector<float>(2, 0.f));
    H5Fclose(f);
    write_text(dir + "/rows.txt", dir + "/rows.h5\n");
    check_error(setup_error(hdf5_data_param(dir + "/rows.txt", 4)),
                {"rows.h5", "same first dimension"});
  }
  {  // the second file's rows are 4 values, the first's 2x1x2: refused when it is reached
    const hid_t f = H5Fcreate((dir + "/flat.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    make_dataset(f, "data", {2, 4}, std::vector<float>(8, 1.f));
    make_dataset(f, "label", {2}, std::vector<float>(2, 0.f));
    H5Fclose(f);
    write_text(dir + "/mixed.txt", dir + "/a.h5\n" + dir + "/flat.h5\n");
    DataTops t(hdf5_data_param(dir + "/mixed.txt", 2));
    t.forward();  // rows 0, 1 of a.h5
    const std::string e = error_of([&] { t.forward(); });
    check_error(e, {"flat.h5", "first file"});
  }
}

caffe::NetParameter parse_net(const std::string& text) {
  caffe::NetParameter p;
  parse_text_proto(text, "test net", p);
  return p;
}

TEST_CASE("HDF5Data feeds a net that trains with gradient steps", "[layers][hdf5_data]") {
  const std::string dir = temp_dir("hdf5_data_net");
  const std::string list = two_files(dir);
  seed_global_rng(23);
  Net net(parse_net(R"(
    name: "h5_train"
    layer { name: "h5" type: "HDF5Data" top: "data" top: "label"
            hdf5_data_param { source: ")" +
                    list + R"(" batch_size: 5 } }
    layer { name: "scale" type: "Power" bottom: "data" top: "scaled" power_param { scale: 0.002 } }
    layer { name: "ip" type: "InnerProduct" bottom: "scaled" top: "ip"
            inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })"),
          caffe::TRAIN);
  CHECK(net.blob_by_name("data")->shape() == std::vector<int>{5, 2, 1, 2});
  const float first = net.forward_backward();
  float last = first;
  for (int it = 0; it < 300; ++it) {
    for (Blob* p : net.learnable_params()) p->scale_diff(0.5f);
    net.update();
    net.clear_param_diffs();
    last = net.forward_backward();
  }
  INFO("first loss " << first << ", last " << last);
  CHECK(last < 0.7f * first);
}

TEST_CASE("HDF5Output leaves the last batch's data and label in its file",
          "[layers][hdf5_output]") {
  const std::string dir = temp_dir("hdf5_output");
  const std::string list = two_files(dir);
  const std::string out = dir + "/out.h5";
  Net net(parse_net(R"(
    name: "h5_out"
    layer { name: "h5" type: "HDF5Data" top: "data" top: "label"
            hdf5_data_param { source: ")" +
                    list + R"(" batch_size: 4 } }
    layer { name: "out" type: "HDF5Output" bottom: "data" bottom: "label"
            hdf5_output_param { file_name: ")" +
                    out + R"(" } })"),
          caffe::TEST);
  net.forward();
  net.forward();  // items 4, 0, 1, 2
  const std::vector<HDF5Array> arrays = read_hdf5_arrays(out, {"data", "label"});
  CHECK(arrays[0].shape == std::vector<int>{4, 2, 1, 2});
  CHECK(arrays[1].shape == std::vector<int>{4, 1, 1, 1});  // Caffe's 4-D label
  const std::vector<int> items{4, 0, 1, 2};
  for (int i = 0; i < 4; ++i) {
    CHECK(arrays[1].values[i] == float(items[i]));
    for (int k = 0; k < 4; ++k) CHECK(arrays[0].values[i * 4 + k] == float(100 * items[i] + k));
  }
  // The file is a plain HDF5 file with exactly those two datasets.
  const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  H5G_info_t info;
  REQUIRE(H5Gget_info(f, &info) >= 0);
  CHECK(info.nlinks == 2);
  H5Fclose(f);
}

TEST_CASE("HDF5Output refuses bad parameters and bottoms", "[layers][hdf5_output]") {
  caffe::LayerParameter p;
  p.set_name("out");
  p.set_type("HDF5Output");
  p.add_bottom("data");
  p.add_bottom("label");
  Blob data({4, 3}), label({3});
  CHECK_THAT(error_of([&] {
               create_layer(p)->setup({&data, &label}, {});
             }),
             Catch::Contains("layer 'out'") && Catch::Contains("file_name is not set"));
  p.mutable_hdf5_output_param()->set_file_name(temp_dir("hdf5_output_bad") + "/o.h5");
  CHECK_THAT(error_of([&] {
               create_layer(p)->setup({&data, &label}, {});
             }),
             Catch::Contains("layer 'out'") && Catch::Contains("same batch size"));
}

#else

TEST_CASE("without HDF5 in this build, HDF5Data and HDF5Output are a one-line error",
          "[layers][hdf5_data][hdf5_output]") {
  WARN("this build has no HDF5 support (CORTADO_WITH_HDF5): HDF5 layer tests skipped");
  CHECK_FALSE(hdf5_supported());
  const std::string dir = temp_dir("hdf5_data_none");
  write_text(dir + "/list.txt", dir + "/a.h5\n");
  const std::string e = error_of([&] { DataTops t(hdf5_data_param(dir + "/list.txt", 2)); });
  CHECK_THAT(e, Catch::Contains("layer 'h5'") && Catch::Contains("a.h5") &&
                    Catch::Contains("no HDF5 support"));
  CHECK(e.find('\n') == std::string::npos);
  caffe::LayerParameter p;
  p.set_name("out");
  p.set_type("HDF5Output");
  p.mutable_hdf5_output_param()->set_file_name(dir + "/o.h5");
  Blob data({2, 3}), label({2});
  CHECK_THAT(error_of([&] {
               create_layer(p)->setup({&data, &label}, {});
             }),
             Catch::Contains("layer 'out'") && Catch::Contains("no HDF5 support"));
}

#endif

}  // namespace
}  // namespace cortado::test
