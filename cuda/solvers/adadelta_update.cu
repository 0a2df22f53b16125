#include "cuda/solvers/diff_prep.cuh"
#include "cuda/solvers/update_kernels.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {
namespace {

// hg: running mean of squared gradients; hu: of squared updates (Caffe's two history sets).
__global__ void adadelta_update_kernel(int64_t n, float* w, float* g, float* hg, float* hu, float m,
                                       float delta, float r_arg, DiffPrep prep) {
  const float r = device_rate(r_arg, prep);
  CORTADO_KERNEL_LOOP(i, n) {
    const float gi = prepared_diff(g[i], w[i], prep);
    const float hgi = (1.f - m) * (gi * gi) + m * hg[i];
    const float u = gi * sqrtf((hu[i] + delta) / (hgi + delta));
    hu[i] = (1.f - m) * (u * u) + m * hu[i];
    hg[i] = hgi;
    const float step = r * u;
    g[i] = step;
    w[i] -= step;
  }
}

}  // namespace

void adadelta_update(int n, float* data, float* diff, float* sq_grad, float* sq_update,
                     float momentum, float delta, float local_rate, const DiffPrep& prep) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  adadelta_update_kernel<<<blocks_for(n), kThreads, 0, ctx.stream()>>>(
      n, data, diff, sq_grad, sq_update, momentum, delta, local_rate, prep);
  check_launch("adadelta_update");
}

}  // namespace cortado::gpu
