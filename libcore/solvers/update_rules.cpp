// The six solver types' update values, with Caffe's formulas and its order of
// operations (where delta is added, which history is updated first), so that
// Caffe's solverstates resume and the numbers agree. Below, g is the diff
// after clipping and regularization, h the history, r = rate * lr_mult.
#include <cmath>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "solvers/update_rule.hpp"
#include "util/error.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/solvers/update_kernels.hpp"
#endif

namespace cortado {
namespace {

// h = m h + r g; g = h
class SgdRule : public UpdateRule {
 public:
  SgdRule(const caffe::SolverParameter& s, std::vector<Param> p) : UpdateRule(s, std::move(p)) {
    init_history();
  }
  const char* type() const override { return "SGD"; }

 protected:
  void compute_update_value(int id, float r, int) override {
    const float m = solver_.momentum();
    Blob& b = *params_[id].blob;
    float* g = b.mutable_diff();
    float* h = history_[id]->mutable_data();
    for (int i = 0, n = b.count(); i < n; ++i) g[i] = h[i] = r * g[i] + m * h[i];
  }
#ifdef CORTADO_WITH_CUDA
  gpu::UpdateRuleArgs gpu_rule() const override {
    return {gpu::UpdateRuleArgs::Type::sgd, solver_.momentum()};
  }
#endif
};

// h' = m h + r g; g = (1 + m) h' - m h
class NesterovRule : public SgdRule {
 public:
  using SgdRule::SgdRule;
  const char* type() const override { return "Nesterov"; }

 protected:
  void compute_update_value(int id, float r, int) override {
    const float m = solver_.momentum();
    Blob& b = *params_[id].blob;
    float* g = b.mutable_diff();
    float* h = history_[id]->mutable_data();
    for (int i = 0, n = b.count(); i < n; ++i) {
      const float previous = h[i];
      h[i] = r * g[i] + m * h[i];
      g[i] = (1.f + m) * h[i] - m * previous;
    }
  }
#ifdef CORTADO_WITH_CUDA
  gpu::UpdateRuleArgs gpu_rule() const override {
    return {gpu::UpdateRuleArgs::Type::nesterov, solver_.momentum()};
  }
#endif
};

// h += g^2; g = r g / (sqrt(h) + delta)
class AdaGradRule : public SgdRule {
 public:
  using SgdRule::SgdRule;
  const char* type() const override { return "AdaGrad"; }

 protected:
  void compute_update_value(int id, float r, int) override {
    const float delta = solver_.delta();
    Blob& b = *params_[id].blob;
    float* g = b.mutable_diff();
    float* h = history_[id]->mutable_data();
    for (int i = 0, n = b.count(); i < n; ++i) {
      h[i] = g[i] * g[i] + h[i];
      g[i] = r * (g[i] / (std::sqrt(h[i]) + delta));
    }
  }
#ifdef CORTADO_WITH_CUDA
  gpu::UpdateRuleArgs gpu_rule() const override {
    gpu::UpdateRuleArgs args{gpu::UpdateRuleArgs::Type::adagrad};
    args.delta = solver_.delta();
    return args;
  }
#endif
};

// h = (1 - d) g^2 + d h; g = r g / (sqrt(h) + delta)
class RmsPropRule : public SgdRule {
 public:
  using SgdRule::SgdRule;
  const char* type() const override { return "RMSProp"; }

 protected:
  void compute_update_value(int id, float r, int) override {
    const float delta = solver_.delta(), d = solver_.rms_decay();
    Blob& b = *params_[id].blob;
    float* g = b.mutable_diff();
    float* h = history_[id]->mutable_data();
    for (int i = 0, n = b.count(); i < n; ++i) {
      h[i] = (1.f - d) * (g[i] * g[i]) + d * h[i];
      g[i] = r * (g[i] / (std::sqrt(h[i]) + delta));
    }
  }
#ifdef CORTADO_WITH_CUDA
  gpu::UpdateRuleArgs gpu_rule() const override {
    gpu::UpdateRuleArgs args{gpu::UpdateRuleArgs::Type::rmsprop};
    args.delta = solver_.delta();
    args.rms_decay = solver_.rms_decay();
    return args;
  }
#endif
};

// Two histories: hg of squared gradients (first set), hu of squared updates (second).
// hg = (1 - m) g^2 + m hg; g = g sqrt((hu + delta) / (hg + delta));
// hu = (1 - m) g^2 + m hu; g = r g
class AdaDeltaRule : public UpdateRule {
 public:
  AdaDeltaRule(const caffe::SolverParameter& s, std::vector<Param> p)
      : UpdateRule(s, std::move(p)) {
    init_history();
  }
  const char* type() const override { return "AdaDelta"; }

 protected:
  int history_sets() const override { return 2; }
  void compute_update_value(int id, float r, int) override {
    const float delta = solver_.delta(), m = solver_.momentum();
    Blob& b = *params_[id].blob;
    float* g = b.mutable_diff();
    float* hg = history_[id]->mutable_data();
    float* hu = history_[params_.size() + id]->mutable_data();
    for (int i = 0, n = b.count(); i < n; ++i) {
      hg[i] = (1.f - m) * (g[i] * g[i]) + m * hg[i];
      g[i] = g[i] * std::sqrt((hu[i] + delta) / (hg[i] + delta));
      hu[i] = (1.f - m) * (g[i] * g[i]) + m * hu[i];
      g[i] = r * g[i];
    }
  }
#ifdef CORTADO_WITH_CUDA
  gpu::UpdateRuleArgs gpu_rule() const override {
    gpu::UpdateRuleArgs args{gpu::UpdateRuleArgs::Type::adadelta, solver_.momentum()};
    args.delta = solver_.delta();
    return args;
  }
#endif
};

// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; t = iter + 1;
// g = r sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + delta)
// (the bias correction rides on the local rate, as in Caffe)
class AdamRule : public UpdateRule {
 public:
  AdamRule(const caffe::SolverParameter& s, std::vector<Param> p) : UpdateRule(s, std::move(p)) {
    init_history();
  }
  const char* type() const override { return "Adam"; }

 protected:
  int history_sets() const override { return 2; }
  void compute_update_value(int id, float r, int iter) override {
    const float b1 = solver_.momentum(), b2 = solver_.momentum2(), eps = solver_.delta();
    const float step = adam_step(r, iter);
    Blob& b = *params_[id].blob;
    float* g = b.mutable_diff();
    float* m = history_[id]->mutable_data();
    float* v = history_[params_.size() + id]->mutable_data();
    for (int i = 0, n = b.count(); i < n; ++i) {
      m[i] = (1.f - b1) * g[i] + b1 * m[i];
      v[i] = (1.f - b2) * (g[i] * g[i]) + b2 * v[i];
      g[i] = step * (m[i] / (std::sqrt(v[i]) + eps));
    }
  }
#ifdef CORTADO_WITH_CUDA
  gpu::UpdateRuleArgs gpu_rule() const override {
    return {gpu::UpdateRuleArgs::Type::adam, solver_.momentum(), solver_.momentum2(),
            solver_.delta()};
  }
#endif
  // The bias correction rides on the kernel's rate (graph mode: on the device factor).
  float rate_factor(float rate, int iter) const override { return adam_step(rate, iter); }

 private:
  // The local rate with the bias correction of update number iter + 1.
  float adam_step(float r, int iter) const {
    const float b1 = solver_.momentum(), b2 = solver_.momentum2();
    const int t = iter + 1;  // b^t in double, as std::pow(float, int) promotes
    const float correction =
        static_cast<float>(std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t)));
    return r * correction;
  }
};

}  // namespace

std::string solver_type_name(const caffe::SolverParameter& solver) {
  if (solver.has_type() || !solver.has_solver_type()) return solver.type();
  switch (solver.solver_type()) {
    case caffe::SolverParameter::NESTEROV:
      return "Nesterov";
    case caffe::SolverParameter::ADAGRAD:
      return "AdaGrad";
    case caffe::SolverParameter::RMSPROP:
      return "RMSProp";
    case caffe::SolverParameter::ADADELTA:
      return "AdaDelta";
    case caffe::SolverParameter::ADAM:
      return "Adam";
    default:
      return "SGD";
  }
}

void check_update_rule(const caffe::SolverParameter& solver, const std::string& where) {
  const std::string type = solver_type_name(solver);
  if (type != "SGD" && type != "Nesterov" && type != "AdaGrad" && type != "RMSProp" &&
      type != "AdaDelta" && type != "Adam")
    throw Error(where, "unknown solver type \"" + type +
                           "\" (known types: AdaDelta, AdaGrad, Adam, Nesterov, RMSProp, SGD)");
  if ((type == "AdaGrad" || type == "RMSProp") && solver.momentum() != 0.f)
    throw Error(where, "momentum cannot be used with " + type + " (set momentum: 0)");
  if (type == "RMSProp" && (solver.rms_decay() < 0.f || solver.rms_decay() >= 1.f))  // as Caffe
    throw Error(where, "rms_decay should lie between 0 and 1");
  const std::string& reg = solver.regularization_type();
  if (reg != "L2" && reg != "L1")
    throw Error(where, "unknown regularization_type \"" + reg + "\" (expected L2 or L1)");
}

std::unique_ptr<UpdateRule> make_update_rule(const caffe::SolverParameter& solver,
                                             std::vector<UpdateRule::Param> params) {
  check_update_rule(solver, "solver");
  const std::string type = solver_type_name(solver);
  if (type == "Nesterov") return std::make_unique<NesterovRule>(solver, std::move(params));
  if (type == "AdaGrad") return std::make_unique<AdaGradRule>(solver, std::move(params));
  if (type == "RMSProp") return std::make_unique<RmsPropRule>(solver, std::move(params));
  if (type == "AdaDelta") return std::make_unique<AdaDeltaRule>(solver, std::move(params));
  if (type == "Adam") return std::make_unique<AdamRule>(solver, std::move(params));
  return std::make_unique<SgdRule>(solver, std::move(params));
}

}  // namespace cortado
