// The shared --deterministic / --tf32 flags: parsed alike by every tool, recorded
// as the GPU context's process-wide settings on a GPU, left alone on the CPU.
#include "util/gpu_flags.hpp"

#include <CLI/CLI.hpp>

#include "gpu_test_util.hpp"
#include "util/device.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cublas_v2.h>

#include "cuda/util/context.hpp"
#endif

namespace cortado::test {
namespace {

GpuMathFlags parse(std::vector<std::string> args) {
  CLI::App app("t");
  GpuMathFlags flags;
  add_gpu_math_flags(app, flags);
  args.insert(args.begin(), "t");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return flags;
}

}  // namespace

TEST_CASE("flags --deterministic and --tf32 parse as plain flags, off by default", "[gpu][flags]") {
  GpuMathFlags none = parse({});
  CHECK_FALSE(none.deterministic);
  CHECK_FALSE(none.tf32);
  GpuMathFlags both = parse({"--tf32", "--deterministic"});
  CHECK(both.deterministic);
  CHECK(both.tf32);
  GpuMathFlags one = parse({"--deterministic"});
  CHECK(one.deterministic);
  CHECK_FALSE(one.tf32);
  CHECK_THROWS_AS(parse({"--tf32", "extra"}), CLI::ParseError);
}

TEST_CASE("flag --no-cuda-graph parses as a plain flag, off by default", "[gpu][flags]") {
  auto parse_graph = [](std::vector<std::string> args) {
    CLI::App app("t");
    bool no_cuda_graph = false;
    add_cuda_graph_flag(app, no_cuda_graph);
    args.insert(args.begin(), "t");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
    return no_cuda_graph;
  };
  CHECK_FALSE(parse_graph({}));
  CHECK(parse_graph({"--no-cuda-graph"}));
  CHECK_THROWS_AS(parse_graph({"--no-cuda-graph", "extra"}), CLI::ParseError);
}

TEST_CASE("flags --deterministic and --tf32 leave the GPU settings alone on the CPU",
          "[gpu][flags]") {
#ifdef CORTADO_WITH_CUDA
  gpu::set_tf32(false);
  gpu::set_deterministic(false);
#endif
  GpuMathFlags both;
  both.deterministic = both.tf32 = true;
  apply_gpu_math_flags(both, DeviceChoice{});  // the CPU: a note, nothing else
#ifdef CORTADO_WITH_CUDA
  CHECK_FALSE(gpu::tf32());
  CHECK_FALSE(gpu::deterministic());
  // The settings themselves need no device.
  gpu::set_tf32(true);
  CHECK(gpu::tf32());
  gpu::set_tf32(false);
  CHECK_FALSE(gpu::tf32());
#endif
}

TEST_CASE("flags --tf32 on a GPU switches cuBLAS to TF32 math, and back", "[gpu][flags]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  gpu::set_tf32(false);
  cublasHandle_t h = gpu::Context::get().cublas();
  cublasMath_t mode{};
  REQUIRE(cublasGetMathMode(h, &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);
  GpuMathFlags flags;
  flags.tf32 = flags.deterministic = true;
  apply_gpu_math_flags(flags, DeviceChoice{true, gpu::Context::get().device()});
  CHECK(gpu::tf32());
  CHECK(gpu::deterministic());
  h = gpu::Context::get().cublas();
  REQUIRE(cublasGetMathMode(h, &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_TF32_TENSOR_OP_MATH);
  apply_gpu_math_flags(GpuMathFlags{}, DeviceChoice{true, gpu::Context::get().device()});
  CHECK_FALSE(gpu::tf32());
  CHECK_FALSE(gpu::deterministic());
  h = gpu::Context::get().cublas();
  REQUIRE(cublasGetMathMode(h, &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);
#endif
}

TEST_CASE("flag --gpu-workspace on a GPU sets the convolution workspace limit", "[gpu][flags]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  gpu::Context& ctx = gpu::Context::get();
  const size_t saved = ctx.workspace_limit();
  GpuMathFlags flags;
  flags.workspace_mb = 3;
  apply_gpu_math_flags(flags, DeviceChoice{true, ctx.device()});
  CHECK(ctx.workspace_limit() == size_t{3} << 20);
  CHECK_THROWS_WITH(ctx.workspace(size_t{4} << 20), Catch::Contains("the limit is"));
  apply_gpu_math_flags(GpuMathFlags{}, DeviceChoice{true, ctx.device()});
  CHECK(ctx.workspace_limit() == size_t{3} << 20);  // unset: left as it was
  ctx.set_workspace_limit(saved);
#endif
}

}  // namespace cortado::test
