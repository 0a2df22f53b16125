// Bad solver inputs: each a one-line error on stderr ("train: error: ...") and exit 1.
#include <catch2/catch.hpp>
#include <fstream>

#include "caffe.pb.h"
#include "hdf5/hdf5_io.hpp"
#include "support/tool_runner.hpp"
#include "workdir.hpp"

using namespace cortado::test;

namespace {

// The run failed with exit 1 and exactly one error line, its last line.
std::string one_line_error(const ToolResult& r, const std::string& tool) {
  INFO(tail(r.err));
  CHECK(r.exit_code == 1);
  size_t errors = 0;
  for (size_t at = r.err.find(tool + ": error: "); at != std::string::npos;
       at = r.err.find(tool + ": error: ", at + 1))
    ++errors;
  CHECK(errors == 1);
  const std::string last = tail(r.err, 1);
  CHECK(last.rfind(tool + ": error: ", 0) == 0);
  return last;
}

}  // namespace

TEST_CASE("train refuses a solver that names no net", "[training][errors]") {
  Workdir dir("err_no_net");
  dir.write("s.prototxt", "base_lr: 0.01\nlr_policy: \"fixed\"\n");
  auto line = one_line_error(run_tool("train", "--solver s.prototxt"), "train");
  CHECK_THAT(line, Catch::Contains("s.prototxt") && Catch::Contains("names no net"));
}

TEST_CASE("train names a missing net file", "[training][errors]") {
  Workdir dir("err_missing_net");
  dir.write("s.prototxt", lenet_solver(10, 0, "", "no_such_net.prototxt"));
  auto line = one_line_error(run_tool("train", "--solver s.prototxt"), "train");
  CHECK_THAT(line, Catch::Contains("no_such_net.prototxt"));
}

TEST_CASE("train refuses a test net without test_iter", "[training][errors]") {
  Workdir dir("err_test_iter");
  dir.write("s.prototxt", "train_net: \"lenet_train_test.prototxt\"\n"
                          "test_net: \"lenet_train_test.prototxt\"\ntest_interval: 10\n"
                          "base_lr: 0.01\nlr_policy: \"fixed\"\nmax_iter: 1\n");
  auto line = one_line_error(run_tool("train", "--solver s.prototxt"), "train");
  CHECK_THAT(line, Catch::Contains("test_iter"));
}

TEST_CASE("train refuses unknown solver types and lr policies", "[training][errors]") {
  Workdir dir("err_type");
  dir.write("type.prototxt", lenet_solver(10, 0, "type: \"Adamax\""));
  CHECK_THAT(one_line_error(run_tool("train", "--solver type.prototxt"), "train"),
             Catch::Contains("unknown solver type \"Adamax\""));
  std::string policy = lenet_solver(10, 0);
  policy.replace(policy.find("\"inv\""), 5, "\"cosine\"");
  dir.write("policy.prototxt", policy);
  CHECK_THAT(one_line_error(run_tool("train", "--solver policy.prototxt"), "train"),
             Catch::Contains("unknown lr_policy \"cosine\""));
}

TEST_CASE("train refuses RMSProp's rms_decay of 1 or below 0 as Caffe does", "[training][errors]") {
  Workdir dir("err_rms_decay");
  for (const char* decay : {"1", "-0.1"}) {
    std::string solver = lenet_solver(10, 0, std::string("type: \"RMSProp\" rms_decay: ") + decay);
    solver.replace(solver.find("momentum: 0.9"), 13, "momentum: 0");
    dir.write("s.prototxt", solver);
    CHECK_THAT(one_line_error(run_tool("train", "--solver s.prototxt"), "train"),
               Catch::Contains("rms_decay should lie between 0 and 1"));
  }
}

TEST_CASE("resume refuses a snapshot from a different net", "[training][errors]") {
  Workdir dir("err_other_net");
  // A net with one InnerProduct layer: its solverstate keeps 2 history blobs, LeNet's 8.
  dir.write("tiny.prototxt", R"(name: "tiny"
    layer { name: "d" type: "Data" top: "data" top: "label" transform_param { scale: 0.0039 }
            data_param { source: "fashion_mnist_train1000_lmdb" batch_size: 4 backend: LMDB } }
    layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
            inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })");
  dir.write("tiny_solver.prototxt", lenet_solver(1, 1, "", "tiny.prototxt"));
  REQUIRE(run_tool("train", "--solver tiny_solver.prototxt").exit_code == 0);
  dir.write("s.prototxt", lenet_solver(10, 0));
  auto line = one_line_error(
      run_tool("resume", "--solver s.prototxt --snapshot lenet_iter_1.solverstate"), "resume");
  CHECK_THAT(line, Catch::Contains("lenet_iter_1.solverstate") &&
                       Catch::Contains("2 history blobs") && Catch::Contains("another net"));
}

TEST_CASE("train refuses HDF5 snapshots only without HDF5 and a usage error exits 2",
          "[training][errors]") {
  Workdir dir("err_hdf5");
  dir.write("s.prototxt", lenet_solver(10, 5, "snapshot_format: HDF5"));
  if (!cortado::hdf5_supported())  // else hdf5_snapshot_test.cpp trains with it
    CHECK_THAT(one_line_error(run_tool("train", "--solver s.prototxt"), "train"),
               Catch::Contains("no HDF5 support"));
  CHECK(run_tool("train", "--solver s.prototxt --weights a --snapshot b").exit_code == 2);
  CHECK(run_tool("train", "").exit_code == 2);
  CHECK_THAT(one_line_error(run_tool("train", "--solver s.prototxt --sigint_effect explode"), "train"),
             Catch::Contains("explode"));
}

TEST_CASE("train refuses a snapshot prefix it cannot write before training", "[training][errors]") {
  Workdir dir("err_prefix");
  std::string solver = lenet_solver(10, 5);
  solver.replace(solver.find("\"lenet\""), 7, "\"no_such_folder/lenet\"");
  dir.write("s.prototxt", solver);
  auto r = run_tool("train", "--solver s.prototxt");
  CHECK_THAT(one_line_error(r, "train"), Catch::Contains("no_such_folder"));
  CHECK(r.err.find("Iteration 0") == std::string::npos);
  // A "folder" that is a file
  dir.write("afile", "not a folder");
  solver.replace(solver.find("no_such_folder/lenet"), 20, "afile/lenet");
  dir.write("s.prototxt", solver);
  r = run_tool("train", "--solver s.prototxt");
  CHECK_THAT(one_line_error(r, "train"), Catch::Contains("folder 'afile' is missing"));
  CHECK(r.err.find("Iteration 0") == std::string::npos);
}

TEST_CASE("resume refuses a solverstate with a negative iteration", "[training][errors]") {
  Workdir dir("err_negative_iter");
  dir.write("s.prototxt", lenet_solver(1, 1));
  REQUIRE(run_tool("train", "--solver s.prototxt").exit_code == 0);
  caffe::SolverState state;
  {
    std::ifstream in(dir.path() + "/lenet_iter_1.solverstate", std::ios::binary);
    REQUIRE(state.ParseFromIstream(&in));
  }
  state.set_iter(-5);
  {
    std::ofstream out(dir.path() + "/bad.solverstate", std::ios::binary);
    REQUIRE(state.SerializeToOstream(&out));
  }
  CHECK_THAT(one_line_error(run_tool("resume", "--solver s.prototxt --snapshot bad.solverstate"),
                            "resume"),
             Catch::Contains("bad.solverstate") && Catch::Contains("iter -5"));
}
