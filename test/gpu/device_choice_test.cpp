// choose_device / activate_device: the paths every build can run (no GPU, or a
// build without CUDA) and, on a GPU machine, the ones that need a device.
#include <string>

#include "gpu_test_util.hpp"
#include "util/device.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

std::string error_of(const std::string& flag, bool solver_gpu = false, int solver_id = 0) {
  try {
    choose_device(flag, solver_gpu, solver_id);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("choose_device picks the CPU when nothing asks for a GPU", "[gpu][device]") {
  const DeviceChoice c = choose_device("", false, 3);
  CHECK_FALSE(c.gpu);
  CHECK(c.id == -1);
  CHECK_NOTHROW(activate_device(c));
}

TEST_CASE("choose_device refuses a malformed --gpu in one line", "[gpu][device]") {
  for (const char* flag : {"x", "-1", "0x", ",", "gpu0"}) {
    const std::string msg = error_of(flag);
    INFO("--gpu " << flag << ": " << msg);
    CHECK_THAT(msg, Catch::StartsWith("--gpu: expected a device id"));
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("choose_device: --gpu without a usable GPU is a one-line error", "[gpu][device]") {
  if (gpu_available()) {
    WARN("a CUDA device is present: the no-device error is not exercised here");
    return;
  }
  for (const char* flag : {"0", "all", "1,2"}) {
    const std::string msg = error_of(flag);
    INFO("--gpu " << flag << ": " << msg);
    CHECK(msg.find('\n') == std::string::npos);
#ifdef CORTADO_WITH_CUDA
    const std::string id = flag[0] == '1' ? "1" : "0";
    CHECK_THAT(msg, Catch::StartsWith("--gpu: no CUDA device found (asked for GPU " + id + ")"));
#else
    CHECK(msg == "--gpu: this Cortado was built without the CUDA backend; drop --gpu or rebuild "
                 "with nvcc");
#endif
  }
}

TEST_CASE("solver_mode GPU falls back to the CPU without a GPU", "[gpu][device]") {
  if (gpu_available()) {
    WARN("a CUDA device is present: the CPU fallback is not exercised here");
    return;
  }
  const DeviceChoice c = choose_device("", true, 0);
  CHECK_FALSE(c.gpu);
  // Asking to activate a GPU anyway is an Error, never a crash.
  CHECK_THROWS_AS(activate_device(DeviceChoice{true, 0}), Error);
}

TEST_CASE("choose_device on a GPU machine: ids, lists, 'all' and out of range", "[gpu][device]") {
  SKIP_WITHOUT_GPU();
  for (const char* flag : {"0", "all", "0,1"}) {
    const DeviceChoice c = choose_device(flag, false, 0);
    CHECK(c.gpu);
    CHECK(c.id == 0);
  }
  CHECK_THAT(error_of("99"), Catch::StartsWith("--gpu: GPU 99 does not exist: this machine has"));
  CHECK_THAT(error_of("", true, 99),
             Catch::StartsWith("solver device_id: GPU 99 does not exist"));
  const DeviceChoice from_solver = choose_device("", true, 0);
  CHECK(from_solver.gpu);
  CHECK(from_solver.id == 0);
  CHECK_NOTHROW(activate_device(from_solver));
}

}  // namespace cortado
