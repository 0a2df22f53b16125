#include "cuda/solvers/diff_prep.cuh"
#include "cuda/solvers/update_kernels.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {
namespace {

__global__ void nesterov_update_kernel(int64_t n, float* w, float* g, float* h, float m,
                                       float r_arg, DiffPrep prep) {
  const float r = device_rate(r_arg, prep);
  CORTADO_KERNEL_LOOP(i, n) {
    const float previous = h[i];
    const float now = r * prepared_diff(g[i], w[i], prep) + m * previous;
    const float step = (1.f + m) * now - m * previous;
    h[i] = now;
    g[i] = step;
    w[i] -= step;
  }
}

}  // namespace

void nesterov_update(int n, float* data, float* diff, float* history, float momentum,
                     float local_rate, const DiffPrep& prep) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  nesterov_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream()>>>(n, data, diff, history,
                                                                       momentum, local_rate, prep);
  check_launch("nesterov_update");
}

}  // namespace cortado::gpu
