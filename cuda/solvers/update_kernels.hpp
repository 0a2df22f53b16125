#pragma once
// The six solver types' updates, fused into one pass over each parameter (device
// pointers), so that a GPU training step never brings a parameter to the host, and
// launched for all parameters at once (cuda/solvers/slot_table.cuh):
//   g = diff * clip_scale * norm_scale (+ decay * w, or decay * sign(w) for L1)
//   the type's rule turns g into the update value v (histories updated on the way)
//   diff = v;  data -= v
// The CPU computes the same in several passes (UpdateRule::apply in
// libcore/solvers/update_rule.cpp and the rules in update_rules.cpp), with the
// same expressions in the same order, so both agree to rounding.
#include <cstdint>
#include <vector>

namespace cortado::gpu {

// What turns every parameter's raw gradient into the one its rule sees. The defaults
// change nothing (multiplying by 1 is exact): no clipping, iter_size 1, L2 decay.
struct DiffPrep {
  float clip_scale = 1.f;  // clip_gradients' factor this step
  float norm_scale = 1.f;  // 1 / iter_size
  bool l1 = false;         // regularization_type L1 (decay * sign(w)) instead of L2 (decay * w)
  // CUDA graph mode: device scalars written before each replay (a replayed kernel keeps
  // its captured arguments). When set, each slot's rate is multiplied by *rate_factor
  // and the diff by *clip_scale_dev instead of clip_scale.
  const float* rate_factor = nullptr;
  const float* clip_scale_dev = nullptr;
  // CUDA graph mode: the update changes nothing when the iteration failed, as eager mode
  // stops before updating: *loss is not finite, or one of the `layers` error codes
  // (errors[2 i]: a layer's bad label) is non-zero, or *hold is already set. The
  // kernels then set *hold, which stays set (sticky) so that iterations queued behind
  // a failed one do not update either; the host clears it when it collects the
  // failure. Decided by the update kernels themselves: a launch less a step.
  int* hold = nullptr;
  const float* loss = nullptr;
  const int* errors = nullptr;
  int layers = 0;
};

// One parameter: its device arrays and its own factors.
struct UpdateSlot {
  float* data = nullptr;
  float* diff = nullptr;
  float* history = nullptr;   // the rule's history (AdaDelta: squared gradients; Adam: m)
  float* history2 = nullptr;  // AdaDelta's squared updates, Adam's s; else unused
  int64_t count = 0;
  float rate = 0.f;   // the solver's rate times lr_mult (Adam: with its bias correction)
  float decay = 0.f;  // weight_decay * decay_mult
};

// The rule and its settings, r below being a slot's rate:
//   SGD:      h = r g + m h; v = h
//   Nesterov: h' = r g + m h; v = (1 + m) h' - m h
//   AdaGrad:  h += g^2; v = r g / (sqrt(h) + delta)
//   RMSProp:  h = (1 - rms_decay) g^2 + rms_decay h; v = r g / (sqrt(h) + delta)
//   AdaDelta: h = (1 - m) g^2 + m h; u = g sqrt((h2 + delta) / (h + delta));
//             h2 = (1 - m) u^2 + m h2; v = r u
//   Adam:     h = (1 - m) g + m h; h2 = (1 - m2) g^2 + m2 h2; v = r h / (sqrt(h2) + delta)
struct UpdateRuleArgs {
  enum class Type { sgd, nesterov, adagrad, rmsprop, adadelta, adam };
  Type type = Type::sgd;
  float momentum = 0.f;   // m (Adam: beta1)
  float momentum2 = 0.f;  // Adam's beta2
  float delta = 0.f;
  float rms_decay = 0.f;
};

// Updates every slot (empty ones are skipped), queued on the context's stream.
void update_params(const std::vector<UpdateSlot>& slots, const UpdateRuleArgs& rule,
                   const DiffPrep& prep = {});

}  // namespace cortado::gpu
