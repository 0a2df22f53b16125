// Solver files that Caffe would abort on are one-line Errors naming the file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "caffe.pb.h"
#include "hdf5/hdf5_io.hpp"
#include "solvers/solver_params.hpp"
#include "support/tool_runner.hpp"
#include "util/proto_io.hpp"

namespace {

caffe::SolverParameter parse(const std::string& text) {
  caffe::SolverParameter sp;
  cortado::parse_text_proto(text, "s.prototxt", sp);
  return sp;
}

std::string check_error(const std::string& text) {
  try {
    cortado::check_solver_params(parse(text), "s.prototxt");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("solver params refuse a solver without a net", "[solvers][params]") {
  CHECK_THAT(check_error("base_lr: 0.1 lr_policy: \"fixed\""), Catch::Contains("names no net"));
  CHECK_THAT(check_error("net: \"a\" train_net: \"b\" lr_policy: \"fixed\""),
             Catch::Contains("more than one train net"));
}

TEST_CASE("solver params need one test_iter per test net", "[solvers][params]") {
  CHECK_THAT(check_error("train_net: \"a\" test_net: \"b\" lr_policy: \"fixed\" test_interval: 10"),
             Catch::Contains("test_iter"));
  CHECK_THAT(check_error("net: \"a\" test_iter: 2 lr_policy: \"fixed\""),
             Catch::Contains("test_interval"));
  CHECK(check_error("net: \"a\" test_iter: 2 test_interval: 5 lr_policy: \"fixed\"").empty());
}

TEST_CASE("solver params name unknown types, policies and HDF5 snapshots without HDF5",
          "[solvers][params]") {
  CHECK_THAT(check_error("net: \"a\" type: \"Lion\" lr_policy: \"fixed\""),
             Catch::Contains("unknown solver type \"Lion\""));
  CHECK_THAT(check_error("net: \"a\" lr_policy: \"warmup\""),
             Catch::Contains("unknown lr_policy \"warmup\""));
  if (cortado::hdf5_supported())
    CHECK(check_error("net: \"a\" lr_policy: \"fixed\" snapshot_format: HDF5").empty());
  else
    CHECK_THAT(check_error("net: \"a\" lr_policy: \"fixed\" snapshot_format: HDF5"),
               Catch::Contains("no HDF5 support"));
}

TEST_CASE("solver reading upgrades solver_type and defaults snapshot_prefix", "[solvers][params]") {
  const std::string dir = cortado::test::temp_dir("solver_params");
  const std::string path = dir + "/my_solver.prototxt";
  std::ofstream(path) << "net: \"n.prototxt\" solver_type: ADAM lr_policy: \"fixed\"\n";
  caffe::SolverParameter sp;
  cortado::read_solver_params(path, &sp);
  CHECK(sp.type() == "Adam");
  CHECK_FALSE(sp.has_solver_type());
  CHECK(sp.snapshot_prefix() == dir + "/my_solver");
  std::filesystem::create_directory(dir + "/snaps");
  std::ofstream(path) << "net: \"n\" lr_policy: \"fixed\" snapshot_prefix: \"" << dir << "/snaps\"\n";
  cortado::read_solver_params(path, &sp);
  CHECK(sp.snapshot_prefix() == dir + "/snaps/my_solver");
  std::ofstream(path) << "net: \"n\" type: \"SGD\" solver_type: SGD\n";
  CHECK_THROWS_WITH(cortado::read_solver_params(path, &sp), Catch::Contains("solver_type"));
}
