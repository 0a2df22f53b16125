// What a GPU batch job sees when the device is missing, busy or too small: the tool
// ends with exit status 1, its last line the error, naming the device (and the size
// asked), never a crash. The missing device uses CUDA's own CUDA_VISIBLE_DEVICES, so it runs in
// every CUDA build, with a GPU or without; a busy and a full device are made by the
// CPU emulator of CUDA (test/support/cuda_emu: CUDA_EMU_BUSY, CUDA_EMU_MEMORY_MB).
#include <cstdlib>
#include <string>

#include "gpu_test_util.hpp"
#include "support/tool_runner.hpp"

#ifdef CORTADO_WITH_CUDA
namespace cortado::test {
namespace {

// Sets an environment variable for the tools this test runs, restoring it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// The last line of a tool's stderr (its log comes before): the error, whole.
std::string last_line(const std::string& err) {
  REQUIRE(err.size() > 1);
  REQUIRE(err.back() == '\n');
  const size_t start = err.rfind('\n', err.size() - 2);
  return err.substr(start == std::string::npos ? 0 : start + 1);
}

// `time` on LeNet with --gpu 0: its error line, after checking that it ended the run.
std::string gpu_time_error() {
  const ToolResult r = run_tool(
      "time", "--model '" + testdata("nets/lenet_time.prototxt") + "' --gpu 0 --iterations 1");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);  // an Error, not a signal (128 + n) or an abort
  return last_line(r.err);
}

}  // namespace

TEST_CASE("GPU tools: no visible device is a one-line error naming the GPU asked for",
          "[gpu][device]") {
  ScopedEnv none("CUDA_VISIBLE_DEVICES", "");
  CHECK_THAT(gpu_time_error(),
             Catch::StartsWith("time: error: --gpu: no CUDA device found (asked for GPU 0)"));
  const ToolResult r = run_tool(
      "train", "--solver '" + testdata("solvers/lenet_solver.prototxt") + "' --gpu 0");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(last_line(r.err),
             Catch::StartsWith("train: error: --gpu: no CUDA device found (asked for GPU 0)"));
}

#ifdef CORTADO_CUDA_EMU
TEST_CASE("GPU tools: a busy device is a one-line error naming it", "[gpu][device]") {
  ScopedEnv busy("CUDA_EMU_BUSY", "1");
  const std::string err = gpu_time_error();
  CHECK_THAT(err, Catch::StartsWith("time: error: GPU 0 ("));
  CHECK_THAT(err, Catch::Contains("is the device busy"));
  CHECK_THAT(err, Catch::Contains("busy or unavailable"));
}

TEST_CASE("GPU tools: a device too small is a one-line error with the size asked",
          "[gpu][device]") {
  ScopedEnv small("CUDA_EMU_MEMORY_MB", "1");  // LeNet's conv1 top alone is 2.9 MB
  const std::string err = gpu_time_error();
  CHECK_THAT(err, Catch::StartsWith("time: error: GPU 0 ("));
  CHECK_THAT(err, Catch::Contains("out of memory allocating"));
}
#endif

}  // namespace cortado::test
#endif  // CORTADO_WITH_CUDA
