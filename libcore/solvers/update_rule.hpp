#pragma once
// What a solver type does to the gradients once forward/backward has filled
// them: Caffe's ApplyUpdate minus the learning rate, which the Solver owns.
//   clip_gradients   scale all diffs down when their global L2 norm exceeds it
//   iter_size        diffs divided by it (accumulated over iter_size passes)
//   weight_decay     L2: diff += decay * data; L1: diff += decay * sign(data)
//   the type's rule  diff <- update value (history kept per parameter)
//   then             data -= diff
// A parameter with lr_mult 0 is frozen: it is skipped entirely, so its data
// never changes, not even by a rounding error.
// On the GPU (set_gpu) the same steps run on the device, fused into one kernel for
// all parameters (cuda/solvers/update_kernels.hpp); only clip_gradients' norm comes
// back to the host, once per update (not even that in CUDA graph mode).
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace caffe {
class SolverParameter;
}

namespace cortado {

class Blob;
namespace gpu {
struct UpdateRuleArgs;
}

class UpdateRule {
 public:
  struct Param {
    Blob* blob;
    float lr_mult;
    float decay_mult;
  };
  UpdateRule(const caffe::SolverParameter& solver, std::vector<Param> params);
  virtual ~UpdateRule();
  UpdateRule(const UpdateRule&) = delete;
  UpdateRule& operator=(const UpdateRule&) = delete;

  // One update at learning rate `rate`; `iter` counts the updates already done.
  void apply(float rate, int iter);
  // Whether apply() updates on the device (blobs' gpu data, diff and history).
  // Without the CUDA backend built in, apply() always runs on the CPU.
  void set_gpu(bool on) { on_gpu_ = on; }
  bool gpu() const { return on_gpu_; }

  // CUDA graph mode (cuda/solvers/train_graph.hpp), set only while the solver captures
  // apply(): the kernels take the per-iteration factor from device memory (`rate`,
  // written before each replay with rate_factor(rate, iter)), and clip_gradients'
  // scale is computed on the device into clip[0] (scale) and clip[1] (norm), using
  // `scratch` (clip_scratch_bytes()). All nullptr: eager mode.
  // The update changes nothing when the replay failed (gpu::DiffPrep::hold): the loss
  // word `loss` is not finite, one of `layers` error codes in `errors` is set, or the
  // sticky device int `hold` is; the kernels then set `hold`.
  struct GraphScalars {
    const float* rate = nullptr;
    float* clip = nullptr;
    void* scratch = nullptr;
    int* hold = nullptr;
    const float* loss = nullptr;
    const int* errors = nullptr;
    int layers = 0;
  };
  void set_graph_scalars(const GraphScalars& s) { graph_ = s; }
  // The rate the update kernel applies for update number `iter` at `rate` (Adam: with
  // its bias correction); graph mode's device factor, the kernels' rates being the
  // lr_mults there.
  virtual float rate_factor(float rate, int /*iter*/) const { return rate; }
  size_t clip_scratch_bytes() const;
  // Graph mode's clipping, after a replay: Caffe's log line when the norm exceeded the clip.
  void log_clip(float norm, float scale) const;

  // The solverstate's `history`, in Caffe's layout: one blob per parameter,
  // then (AdaDelta, Adam) a second set of the same shapes.
  std::vector<std::shared_ptr<Blob>>& history() { return history_; }
  virtual const char* type() const = 0;

 protected:
  // Turns params_[id]'s (regularized) diff into the value to subtract.
  virtual void compute_update_value(int id, float local_rate, int iter) = 0;
#ifdef CORTADO_WITH_CUDA
  // The same on the device: the rule's type and settings for the fused kernel
  // (cuda/solvers/update_kernels.hpp), which also applies the data update.
  virtual gpu::UpdateRuleArgs gpu_rule() const = 0;
#endif
  virtual int history_sets() const { return 1; }
  void init_history();

  const caffe::SolverParameter& solver_;
  std::vector<Param> params_;
  std::vector<std::shared_ptr<Blob>> history_;

 private:
  void clip_gradients();
  // The factor clip_gradients scales every diff by, given their summed squares:
  // clip / norm when the norm exceeds clip (logged), else 1.
  float clip_scale(float sumsq) const;
#ifdef CORTADO_WITH_CUDA
  void apply_gpu(float rate, int iter);
  float gpu_clip_scale();
#endif
  bool on_gpu_ = false;
  GraphScalars graph_;
  void normalize(int id);
  void regularize(int id);
};

// The type string, with the deprecated solver_type enum mapped as Caffe's upgrade does.
std::string solver_type_name(const caffe::SolverParameter& solver);
// Unknown types and settings a type refuses (momentum with AdaGrad...) are Errors naming `where`.
void check_update_rule(const caffe::SolverParameter& solver, const std::string& where);
// `solver` must outlive the rule.
std::unique_ptr<UpdateRule> make_update_rule(const caffe::SolverParameter& solver,
                                             std::vector<UpdateRule::Param> params);

}  // namespace cortado
