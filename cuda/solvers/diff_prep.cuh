#pragma once
// The gradient a rule sees, on the device: UpdateRule's clip, normalize and
// regularize steps (libcore/solvers/update_rule.cpp) for one element, same order.
#include "cuda/solvers/update_kernels.hpp"

namespace cortado::gpu {

__device__ __forceinline__ float prepared_diff(float g, float w, const DiffPrep& p) {
  g = g * (p.clip_scale_dev ? *p.clip_scale_dev : p.clip_scale);
  g = g * p.norm_scale;
  if (p.decay != 0.f) {
    const float reg = p.l1 ? static_cast<float>((0.f < w) - (w < 0.f)) : w;
    g += p.decay * reg;
  }
  return g;
}

// The rate a kernel applies: its argument, times the per-iteration device factor in
// CUDA graph mode (DiffPrep::rate_factor).
__device__ __forceinline__ float device_rate(float r, const DiffPrep& p) {
  return p.rate_factor ? r * *p.rate_factor : r;
}

}  // namespace cortado::gpu
