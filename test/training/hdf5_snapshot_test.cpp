// snapshot_format: HDF5: train writes Caffe's <prefix>_iter_N.caffemodel.h5 and
// .solverstate.h5 (links checked with the HDF5 C API), resume from the .solverstate.h5
// ends bit-identical to the uninterrupted run, `test --weights X.caffemodel.h5` runs,
// and a solverstate.h5 as Caffe writes it (no exact-resume dataset) resumes too.
// Without HDF5 in this build, the solver is refused with a one-line error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "hdf5/hdf5_io.hpp"
#include "support/tool_runner.hpp"
#include "workdir.hpp"

#ifdef CORTADO_WITH_HDF5
#include <hdf5.h>
#include <hdf5_hl.h>
#endif

namespace fs = std::filesystem;
using namespace cortado::test;

namespace {

const char* kHdf5Extra =
    "snapshot_format: HDF5\ndisplay: 5\naverage_loss: 3\ntest_iter: 1\ntest_interval: 7\n";

}  // namespace

#ifdef CORTADO_WITH_HDF5

namespace {

struct H5Read {
  hid_t id;
  explicit H5Read(const std::string& path)
      : id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
    REQUIRE(id >= 0);
  }
  ~H5Read() { H5Fclose(id); }
  bool has(const char* p) const { return H5Lexists(id, p, H5P_DEFAULT) > 0; }
  std::vector<std::string> links(const char* group) const {
    H5G_info_t info;
    REQUIRE(H5Gget_info_by_name(id, group, &info, H5P_DEFAULT) >= 0);
    std::vector<std::string> out;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char name[256];
      H5Lget_name_by_idx(id, group, H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
      out.push_back(name);
    }
    return out;
  }
  std::vector<hsize_t> dims(const std::string& p, H5T_class_t want) const {
    int n = 0;
    REQUIRE(H5LTget_dataset_ndims(id, p.c_str(), &n) >= 0);
    std::vector<hsize_t> d(static_cast<size_t>(n));
    H5T_class_t cls;
    size_t size;
    REQUIRE(H5LTget_dataset_info(id, p.c_str(), d.data(), &cls, &size) >= 0);
    CHECK(cls == want);
    return d;
  }
  std::vector<float> floats(const std::string& p) const {
    size_t n = 1;
    for (auto d : dims(p, H5T_FLOAT)) n *= d;
    std::vector<float> v(n);
    REQUIRE(H5LTread_dataset_float(id, p.c_str(), v.data()) >= 0);
    return v;
  }
  int integer(const char* p) const {
    CHECK(dims(p, H5T_INTEGER) == std::vector<hsize_t>{1});  // Caffe's hdf5_save_int
    int v = -1;
    REQUIRE(H5LTread_dataset_int(id, p, &v) >= 0);
    return v;
  }
  std::string text(const char* p) const {
    H5T_class_t cls;
    size_t size = 0;
    REQUIRE(H5LTget_dataset_info(id, p, nullptr, &cls, &size) >= 0);
    CHECK(cls == H5T_STRING);
    std::string s(size + 1, '\0');
    REQUIRE(H5LTread_dataset_string(id, p, s.data()) >= 0);
    return s.substr(0, s.find('\0'));
  }
};

const std::vector<std::string> kLenetParams = {"conv1", "conv2", "ip1", "ip2"};

// Every parameter dataset of two .caffemodel.h5 files, compared bit for bit.
void check_same_weights(const std::string& x, const std::string& y) {
  H5Read a(x), b(y);
  for (const auto& layer : kLenetParams)
    for (const char* j : {"0", "1"}) {
      const std::string p = "data/" + layer + "/" + j;
      INFO(p);
      const auto va = a.floats(p), vb = b.floats(p);
      REQUIRE(va.size() == vb.size());
      CHECK(std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) == 0);
    }
}

}  // namespace

TEST_CASE("snapshot_format HDF5 writes Caffe's .h5 pair and resumes bit-identically",
          "[training][resume][hdf5]") {
  Workdir dir("hdf5_resume");
  dir.write("solver.prototxt", lenet_solver(40, 20, kHdf5Extra));
  auto full = run_tool("train", "--solver solver.prototxt");
  INFO(tail(full.err));
  REQUIRE(full.exit_code == 0);
  for (const char* f : {"lenet_iter_20.caffemodel.h5", "lenet_iter_20.solverstate.h5",
                        "lenet_iter_40.caffemodel.h5", "lenet_iter_40.solverstate.h5"})
    CHECK(fs::exists(f));
  CHECK_FALSE(fs::exists("lenet_iter_20.caffemodel"));
  CHECK_FALSE(fs::exists("lenet_iter_20.solverstate"));
  CHECK(full.err.find("Snapshotting solver state to HDF5 file lenet_iter_20.solverstate.h5") !=
        std::string::npos);

  {  // The weights: data/<layer>/<j>, every layer a group, no diff.
    H5Read m("lenet_iter_20.caffemodel.h5");
    CHECK(m.links("/") == std::vector<std::string>{"data"});
    const auto layers = m.links("data");
    for (const char* l : {"mnist", "conv1", "pool1", "conv2", "ip1", "relu1", "ip2", "loss"})
      CHECK(std::find(layers.begin(), layers.end(), l) != layers.end());
    CHECK(m.dims("data/conv1/0", H5T_FLOAT) == std::vector<hsize_t>{20, 1, 5, 5});
    CHECK(m.dims("data/conv1/1", H5T_FLOAT) == std::vector<hsize_t>{20});
    CHECK(m.dims("data/ip2/0", H5T_FLOAT) == std::vector<hsize_t>{10, 500});
    CHECK(m.links("data/pool1").empty());
  }
  {  // The solverstate: Caffe's links, plus our exact-resume dataset.
    H5Read s("lenet_iter_20.solverstate.h5");
    CHECK(s.integer("iter") == 20);
    CHECK(s.integer("current_step") == 0);
    CHECK(s.text("learned_net") == "lenet_iter_20.caffemodel.h5");
    CHECK(s.links("history") == std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7"});
    H5Read m("lenet_iter_20.caffemodel.h5");
    int k = 0;
    for (const auto& layer : kLenetParams)
      for (const char* j : {"0", "1"})
        CHECK(s.dims("history/" + std::to_string(k++), H5T_FLOAT) ==
              m.dims("data/" + layer + "/" + j, H5T_FLOAT));
    CHECK(s.has("cortado_state"));
  }

  fs::rename("lenet_iter_40.caffemodel.h5", "full_40.caffemodel.h5");
  fs::rename("lenet_iter_40.solverstate.h5", "full_40.solverstate.h5");
  auto resumed =
      run_tool("resume", "--solver solver.prototxt --snapshot lenet_iter_20.solverstate.h5");
  INFO(tail(resumed.err));
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.err.find("no data cursor") == std::string::npos);
  check_same_weights("full_40.caffemodel.h5", "lenet_iter_40.caffemodel.h5");
  {
    H5Read a("full_40.solverstate.h5"), b("lenet_iter_40.solverstate.h5");
    for (int i = 0; i < 8; ++i)
      CHECK(a.floats("history/" + std::to_string(i)) == b.floats("history/" + std::to_string(i)));
  }

  // The weights feed the other tools through --weights.
  auto tested = run_tool("test",
                         "--model lenet_train_test.prototxt --weights "
                         "lenet_iter_40.caffemodel.h5 --iterations 2");
  INFO(tail(tested.err));
  CHECK(tested.exit_code == 0);
}

TEST_CASE("a solverstate.h5 as Caffe writes it resumes, its data restarting",
          "[training][resume][hdf5]") {
  Workdir dir("hdf5_caffe_state");
  dir.write("solver.prototxt", lenet_solver(4, 2, "snapshot_format: HDF5\n"));
  REQUIRE(run_tool("train", "--solver solver.prototxt").exit_code == 0);
  {  // Caffe's links only: drop ours.
    const hid_t f = H5Fopen("lenet_iter_2.solverstate.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    REQUIRE(H5Ldelete(f, "cortado_state", H5P_DEFAULT) >= 0);
    H5Fclose(f);
  }
  auto r = run_tool("resume", "--solver solver.prototxt --snapshot lenet_iter_2.solverstate.h5");
  INFO(tail(r.err));
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("no data cursor") != std::string::npos);
  CHECK(fs::exists("lenet_iter_4.solverstate.h5"));
}

#else

TEST_CASE("without HDF5 in this build, snapshot_format HDF5 is refused", "[training][hdf5]") {
  WARN("this build has no HDF5 support (CORTADO_WITH_HDF5): HDF5 snapshots skipped");
  CHECK_FALSE(cortado::hdf5_supported());
  Workdir dir("hdf5_none");
  dir.write("solver.prototxt", lenet_solver(4, 2, kHdf5Extra));
  auto r = run_tool("train", "--solver solver.prototxt");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("no HDF5 support") != std::string::npos);
  auto resumed = run_tool("resume", "--solver solver.prototxt --snapshot x.solverstate.h5");
  CHECK(resumed.exit_code == 1);
}

#endif
