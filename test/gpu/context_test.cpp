// The process's GPU context: its stream, the cuBLAS and cuDNN handles, the workspace.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cuda_runtime_api.h>
#ifdef CORTADO_WITH_CUDNN
#include <cudnn.h>
#endif

#include "cuda/util/context.hpp"
#include "util/error.hpp"
#endif

namespace cortado::test {

TEST_CASE("GPU context has a stream and starts cuDNN where built with it", "[gpu][context]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  gpu::Context& ctx = gpu::Context::get();
  CHECK(ctx.stream() != nullptr);
  CHECK(ctx.cublas() != nullptr);
  int current = -1;
  REQUIRE(cudaGetDevice(&current) == cudaSuccess);
  CHECK(current == ctx.device());
#ifdef CORTADO_WITH_CUDNN
  cudnnHandle_t h = ctx.cudnn();
  REQUIRE(h != nullptr);
  cudaStream_t s = nullptr;
  REQUIRE(cudnnGetStream(h, &s) == CUDNN_STATUS_SUCCESS);
  CHECK(s == ctx.stream());
  INFO("cuDNN version " << cudnnGetVersion());
  CHECK(cudnnGetVersion() >= 9000);
#else
  CHECK_THROWS_WITH(ctx.cudnn(), Catch::Contains("without cuDNN"));
#endif
#endif
}

TEST_CASE("GPU workspace grows up to its limit, then refuses", "[gpu][context]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  gpu::Context& ctx = gpu::Context::get();
  const size_t saved = ctx.workspace_limit();
  ctx.set_workspace_limit(1 << 20);
  CHECK(ctx.workspace(1000) != nullptr);
  CHECK(ctx.workspace(1 << 20) != nullptr);
  CHECK_THROWS_WITH(ctx.workspace(2 << 20), Catch::Contains("the limit is 1.0 MB"));
  ctx.set_workspace_limit(saved);
#endif
}

}  // namespace cortado::test
