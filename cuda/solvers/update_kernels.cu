#include "cuda/solvers/slot_table.cuh"
#include "cuda/solvers/update_kernels.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

// 48-byte slots: 40 of them keep the kernel argument near 2 KB.
constexpr int kMaxSlots = 40;
using UpdateTable = SlotTable<UpdateSlot, kMaxSlots>;

// The gradient a rule sees: UpdateRule's clip, normalize and regularize steps
// (libcore/solvers/update_rule.cpp) for one element, in the same order.
__device__ __forceinline__ float prepared_diff(float g, float w, float decay, const DiffPrep& p) {
  g = g * (p.clip_scale_dev ? *p.clip_scale_dev : p.clip_scale);
  g = g * p.norm_scale;
  if (decay != 0.f) {
    const float reg = p.l1 ? static_cast<float>((0.f < w) - (w < 0.f)) : w;
    g += decay * reg;
  }
  return g;
}

// Each rule: the update value of one element from its prepared gradient g at rate r,
// its histories updated; the expressions are the CPU rule's (update_rules.cpp).
struct Sgd {
  float m;
  __device__ float operator()(float g, float r, float* h, float*, int64_t i) const {
    const float step = r * g + m * h[i];
    h[i] = step;
    return step;
  }
};

struct Nesterov {
  float m;
  __device__ float operator()(float g, float r, float* h, float*, int64_t i) const {
    const float previous = h[i];
    const float now = r * g + m * previous;
    h[i] = now;
    return (1.f + m) * now - m * previous;
  }
};

struct AdaGrad {
  float delta;
  __device__ float operator()(float g, float r, float* h, float*, int64_t i) const {
    const float hi = g * g + h[i];
    h[i] = hi;
    return r * (g / (sqrtf(hi) + delta));
  }
};

struct RmsProp {
  float d, delta;
  __device__ float operator()(float g, float r, float* h, float*, int64_t i) const {
    const float hi = (1.f - d) * (g * g) + d * h[i];
    h[i] = hi;
    return r * (g / (sqrtf(hi) + delta));
  }
};

struct AdaDelta {
  float m, delta;
  __device__ float operator()(float g, float r, float* hg, float* hu, int64_t i) const {
    const float hgi = (1.f - m) * (g * g) + m * hg[i];
    const float u = g * sqrtf((hu[i] + delta) / (hgi + delta));
    hu[i] = (1.f - m) * (u * u) + m * hu[i];
    hg[i] = hgi;
    return r * u;
  }
};

struct Adam {
  float b1, b2, eps;
  __device__ float operator()(float g, float r, float* m, float* s, int64_t i) const {
    const float mi = (1.f - b1) * g + b1 * m[i];
    const float si = (1.f - b2) * (g * g) + b2 * s[i];
    m[i] = mi;
    s[i] = si;
    return r * (mi / (sqrtf(si) + eps));
  }
};

// Whether this replay's update is held (DiffPrep::hold). Every thread decides alike
// from the same words, so block 0's thread 0 writing the sticky 1 while others read
// *hold changes no thread's answer.
__device__ bool held(const DiffPrep& p) {
  if (!p.hold) return false;
  bool bad = *p.hold != 0 || !isfinite(*p.loss);
  for (int i = 0; i < p.layers; ++i) bad = bad || p.errors[2 * i] != 0;
  if (bad && blockIdx.x == 0 && threadIdx.x == 0) *p.hold = 1;
  return bad;
}

template <class Rule>
__global__ void update_kernel(UpdateTable table, Rule rule, DiffPrep prep) {
  chain_wait();
  if (held(prep)) return;
  const SlotSpan span = slot_span(table, blockIdx.x, threadIdx.x, blockDim.x);
  const UpdateSlot& p = table.slot[span.slot];
  const float r = prep.rate_factor ? p.rate * *prep.rate_factor : p.rate;
  for (int64_t i = span.first; i < p.count; i += span.stride) {
    const float v =
        rule(prepared_diff(p.diff[i], p.data[i], p.decay, prep), r, p.history, p.history2, i);
    p.diff[i] = v;
    p.data[i] -= v;
  }
}

template <class Rule>
void launch_update(const std::vector<UpdateSlot>& slots, const Rule& rule, const DiffPrep& prep) {
  cudaStream_t stream = Context::get().stream();
  for_each_slot_table<kMaxSlots>(slots, [&](const UpdateTable& table, int blocks) {
    launch("update_params", update_kernel<Rule>, blocks, kThreads, stream, table, rule, prep);
  });
}

}  // namespace

void update_params(const std::vector<UpdateSlot>& slots, const UpdateRuleArgs& rule,
                   const DiffPrep& prep) {
  using Type = UpdateRuleArgs::Type;
  switch (rule.type) {
    case Type::sgd:
      return launch_update(slots, Sgd{rule.momentum}, prep);
    case Type::nesterov:
      return launch_update(slots, Nesterov{rule.momentum}, prep);
    case Type::adagrad:
      return launch_update(slots, AdaGrad{rule.delta}, prep);
    case Type::rmsprop:
      return launch_update(slots, RmsProp{rule.rms_decay, rule.delta}, prep);
    case Type::adadelta:
      return launch_update(slots, AdaDelta{rule.momentum, rule.delta}, prep);
    case Type::adam:
      return launch_update(slots, Adam{rule.momentum, rule.momentum2, rule.delta}, prep);
  }
}

}  // namespace cortado::gpu
