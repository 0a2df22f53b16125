#pragma once
// The six solver types' updates, each fused into one pass over a parameter (device
// pointers), so that a GPU training step never brings a parameter to the host:
//   g = diff * clip_scale * norm_scale (+ decay * w, or decay * sign(w) for L1)
//   the type's rule turns g into the update value v (histories updated on the way)
//   diff = v;  data -= v
// The CPU computes the same in several passes (UpdateRule::apply in
// libcore/solvers/update_rule.cpp and the rules in update_rules.cpp), with the
// same expressions in the same order, so both agree to rounding.
namespace cortado::gpu {

// What turns a parameter's raw gradient into the one its rule sees. The defaults
// change nothing (multiplying by 1 is exact): no clipping, iter_size 1, no decay.
struct DiffPrep {
  float clip_scale = 1.f;  // clip_gradients' factor this step
  float norm_scale = 1.f;  // 1 / iter_size
  float decay = 0.f;       // weight_decay * decay_mult
  bool l1 = false;         // regularization_type L1 (decay * sign(w)) instead of L2 (decay * w)
  // CUDA graph mode: device scalars written before each replay (a replayed kernel keeps
  // its captured arguments). When set, the kernel's local rate (Adam: its step) is
  // multiplied by *rate_factor and the diff by *clip_scale_dev instead of clip_scale.
  const float* rate_factor = nullptr;
  const float* clip_scale_dev = nullptr;
};

// local_rate is the solver's rate times the parameter's lr_mult.
// SGD: h = r g + m h; v = h
void sgd_update(int n, float* data, float* diff, float* history, float momentum, float local_rate,
                const DiffPrep& prep = {});
// Nesterov: h' = r g + m h; v = (1 + m) h' - m h
void nesterov_update(int n, float* data, float* diff, float* history, float momentum,
                     float local_rate, const DiffPrep& prep = {});
// AdaGrad: h += g^2; v = r g / (sqrt(h) + delta)
void adagrad_update(int n, float* data, float* diff, float* history, float delta, float local_rate,
                    const DiffPrep& prep = {});
// RMSProp: h = (1 - d) g^2 + d h; v = r g / (sqrt(h) + delta)
void rmsprop_update(int n, float* data, float* diff, float* history, float rms_decay, float delta,
                    float local_rate, const DiffPrep& prep = {});
// AdaDelta: hg = (1 - m) g^2 + m hg; u = g sqrt((hu + delta) / (hg + delta));
//           hu = (1 - m) u^2 + m hu; v = r u
void adadelta_update(int n, float* data, float* diff, float* sq_grad, float* sq_update,
                     float momentum, float delta, float local_rate, const DiffPrep& prep = {});
// Adam: m = (1 - b1) g + b1 m; s = (1 - b2) g^2 + b2 s; v = step m / (sqrt(s) + eps),
// where step is the local rate with the bias correction (adam_step in update_rules.cpp).
void adam_update(int n, float* data, float* diff, float* mean, float* sq_mean, float beta1,
                 float beta2, float eps, float step, const DiffPrep& prep = {});

}  // namespace cortado::gpu
