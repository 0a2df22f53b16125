// GPU micro-benchmarks, hidden from CI; scripts/gpu_check.sh runs them with
//   build/bin/test_gpu "[.gpubench]"
// and scripts/gpu_bench_torch.py times the same operations in PyTorch as the peer.
// Each prints "BENCH <name> <median ms>" (CUDA events on our stream, median of
// 20 runs after 3 warm-ups).
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <functional>

#include "blob/blob.hpp"
#include "cuda/layers/relu.hpp"
#include "cuda/math/gemm.hpp"
#include "cuda/solvers/update_kernels.hpp"
#include "cuda/util/context.hpp"
#include "support/gradient_checker.hpp"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

void bench(const char* name, const std::function<void()>& op) {
  cudaStream_t s = gpu::Context::get().stream();
  cudaEvent_t start, stop;
  REQUIRE(cudaEventCreate(&start) == cudaSuccess);
  REQUIRE(cudaEventCreate(&stop) == cudaSuccess);
  for (int i = 0; i < 3; ++i) op();
  std::vector<float> ms;
  for (int i = 0; i < 20; ++i) {
    cudaEventRecord(start, s);
    op();
    cudaEventRecord(stop, s);
    REQUIRE(cudaEventSynchronize(stop) == cudaSuccess);
    float t = 0;
    cudaEventElapsedTime(&t, start, stop);
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("BENCH %s %.4f\n", name, ms[ms.size() / 2]);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
}

}  // namespace
#endif

TEST_CASE("GPU benchmark: gemm, ReLU, SGD update", "[.gpubench]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  const int d = 4096;
  Blob a({d, d}), b({d, d}), c({d, d});
  fill_uniform(a, -1.f, 1.f, 1);
  fill_uniform(b, -1.f, 1.f, 2);
  const float* pa = a.gpu_data();
  const float* pb = b.gpu_data();
  float* pc = c.mutable_gpu_data();
  bench("sgemm_4096", [&] { gpu::gemm(Trans::no, Trans::no, d, d, d, 1.f, pa, pb, 0.f, pc); });

  const int n = 64 << 20;  // 64 Mi floats, 256 MiB per array
  Blob x({n}), y({n}), w({n}), h({n});
  fill_gaussian(x, 0.f, 1.f, 3);
  const float* px = x.gpu_data();
  float* py = y.mutable_gpu_data();
  float* pdy = y.mutable_gpu_diff();
  float* pdx = x.mutable_gpu_diff();
  bench("relu_fwd_64M", [&] { gpu::relu_forward(n, px, py, 0.f); });
  bench("relu_bwd_64M", [&] { gpu::relu_backward(n, px, pdy, pdx, 0.f); });
  float* pw = w.mutable_gpu_data();
  float* pg = w.mutable_gpu_diff();
  float* ph = h.mutable_gpu_data();
  gpu::UpdateSlot slot;
  slot.data = pw;
  slot.diff = pg;
  slot.history = ph;
  slot.count = n;
  slot.rate = 0.01f;
  const gpu::UpdateRuleArgs sgd{gpu::UpdateRuleArgs::Type::sgd, 0.9f};
  bench("sgd_update_64M", [&] { gpu::update_params({slot}, sgd); });
#endif
}

}  // namespace cortado::test
