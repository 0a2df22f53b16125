#include "cuda/util/timing.hpp"

#include <algorithm>
#include <limits>

#include <cuda_runtime_api.h>

#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"

namespace cortado::gpu {

float time_ms(const std::function<void()>& run) {
  cudaStream_t stream = Context::get().stream();
  cudaEvent_t start = nullptr, end = nullptr;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&end), "cudaEventCreate");
  float best = std::numeric_limits<float>::infinity();
#ifdef CORTADO_CUDA_EMU
  const int timed_runs = 1;
#else
  const int timed_runs = 3;
#endif
  try {
    if (timed_runs > 1) run();
    for (int i = 0; i < timed_runs; ++i) {
      check(cudaEventRecord(start, stream), "cudaEventRecord");
      run();
      check(cudaEventRecord(end, stream), "cudaEventRecord");
      check(cudaEventSynchronize(end), "cudaEventSynchronize");
      float ms = 0;
      check(cudaEventElapsedTime(&ms, start, end), "cudaEventElapsedTime");
      best = std::min(best, ms);
    }
  } catch (...) {
    cudaEventDestroy(start);
    cudaEventDestroy(end);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(end);
  return best;
}

}  // namespace cortado::gpu
