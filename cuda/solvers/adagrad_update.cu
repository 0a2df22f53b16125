#include "cuda/solvers/diff_prep.cuh"
#include "cuda/solvers/update_kernels.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {
namespace {

// sqrtf and the division are IEEE-rounded (nvcc's defaults without --use_fast_math),
// as the CPU's std::sqrt and '/'.
__global__ void adagrad_update_kernel(int64_t n, float* w, float* g, float* h, float delta,
                                      float r_arg, DiffPrep prep) {
  const float r = device_rate(r_arg, prep);
  CORTADO_KERNEL_LOOP(i, n) {
    const float gi = prepared_diff(g[i], w[i], prep);
    const float hi = gi * gi + h[i];
    const float step = r * (gi / (sqrtf(hi) + delta));
    h[i] = hi;
    g[i] = step;
    w[i] -= step;
  }
}

}  // namespace

void adagrad_update(int n, float* data, float* diff, float* history, float delta, float local_rate,
                    const DiffPrep& prep) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  adagrad_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream()>>>(n, data, diff, history, delta,
                                                                      local_rate, prep);
  check_launch("adagrad_update");
}

}  // namespace cortado::gpu
