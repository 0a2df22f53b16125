#include "cuda/solvers/diff_prep.cuh"
#include "cuda/solvers/update_kernels.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {
namespace {

// m: first moment, s: second moment (Caffe's two history sets); `step` carries the
// bias correction, computed once on the host.
__global__ void adam_update_kernel(int64_t n, float* w, float* g, float* m, float* s, float b1,
                                   float b2, float eps, float step_arg, DiffPrep prep) {
  const float step = device_rate(step_arg, prep);
  CORTADO_KERNEL_LOOP(i, n) {
    const float gi = prepared_diff(g[i], w[i], prep);
    const float mi = (1.f - b1) * gi + b1 * m[i];
    const float si = (1.f - b2) * (gi * gi) + b2 * s[i];
    const float update = step * (mi / (sqrtf(si) + eps));
    m[i] = mi;
    s[i] = si;
    g[i] = update;
    w[i] -= update;
  }
}

}  // namespace

void adam_update(int n, float* data, float* diff, float* mean, float* sq_mean, float beta1,
                 float beta2, float eps, float step, const DiffPrep& prep) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  adam_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream()>>>(n, data, diff, mean, sq_mean,
                                                                   beta1, beta2, eps, step, prep);
  check_launch("adam_update");
}

}  // namespace cortado::gpu
