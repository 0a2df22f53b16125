#pragma once
// The solver: Caffe's Solver and SGDSolver family behind one class. It builds
// the train net and the test nets a SolverParameter names, and trains with
// Caffe's loop and log lines:
//   each iteration: test (every test_interval), forward/backward iter_size
//   times, display (every display), update (the type's rule, see
//   update_rule.hpp), iter += 1, snapshot (every snapshot, or on request).
// The library API runs one step at a time and exposes every net's blobs, so a
// program can write inputs, step(1) and read the loss (Caffe's cookbook loops):
//   Solver s(param);
//   s.net().blob_by_name("data")->mutable_data()[0] = ...;
//   s.step(1);
//   float loss = s.net().blob_by_name("loss")->data()[0];
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "layers/layer.hpp"
#include "solvers/metrics_log.hpp"
#include "solvers/solver_action.hpp"

namespace cortado {

class Net;
class UpdateRule;
namespace gpu {
class TrainGraph;
}

class Solver {
 public:
  // `param` must pass check_solver_params; `where` names it in errors (a file).
  explicit Solver(const caffe::SolverParameter& param, const std::string& where = "solver");
  ~Solver();
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  // --- training ---
  // Runs `iters` iterations (fewer if a stop is requested).
  void step(int iters);
  // Trains up to max_iter, then Caffe's ending: the final snapshot (unless one was
  // just written), one forward pass to display the loss, a last test.
  void solve();
  // Tests every test net; returns each net's outputs, averaged over test_iter batches.
  std::vector<NamedValues> test_all();
  // Writes <prefix>_iter_<N>.caffemodel and .solverstate. Refuses (Error) to
  // write weights that are not finite, so the last good snapshot stays the last.
  void snapshot();
  // Resumes from a .solverstate: iteration, lr schedule, history, and our
  // extras (data cursors, RNG, smoothed-loss window) when present. Weights come
  // from `weights` if given, else from the state's learned_net, tried as written
  // (relative to the cwd, as Caffe) and then beside the solverstate.
  void restore(const std::string& solverstate, const std::string& weights = "");
  // Copies weights from caffemodels ("a.caffemodel,b.caffemodel") into every net.
  void load_weights(const std::string& caffemodels);
  void load_weights(const caffe::NetParameter& trained);

  // --- hooks ---
  void set_action_function(std::function<SolverAction()> f) { action_ = std::move(f); }
  void set_metrics(std::shared_ptr<MetricsLog> m) { metrics_ = std::move(m); }
  void set_mode(Mode mode);
  // GPU mode captures the training iteration in a CUDA graph once shapes are static
  // (cuda/solvers/train_graph.hpp); off: every kernel is launched eagerly (--no-cuda-graph).
  void set_cuda_graph(bool on);
  bool cuda_graph() const { return cuda_graph_; }
#ifdef CORTADO_WITH_CUDA
  // The graph runner, once a GPU step found the net capturable; else nullptr.
  gpu::TrainGraph* train_graph() { return graph_.get(); }
#endif
  bool stopped_early() const { return requested_early_exit_; }

  // --- state ---
  Net& net() { return *net_; }
  const Net& net() const { return *net_; }
  int num_test_nets() const { return static_cast<int>(test_nets_.size()); }
  Net& test_net(int i) { return *test_nets_.at(i); }
  int iter() const { return iter_; }
  int current_step() const { return current_step_; }
  float smoothed_loss() const { return smoothed_loss_; }
  // The rate the next update will use (no side effects).
  float learning_rate() const;
  const caffe::SolverParameter& param() const { return param_; }
  std::vector<std::shared_ptr<Blob>>& history();
  const char* type() const;
  // Paths of the last snapshot written ("" before the first).
  const std::string& last_snapshot_model() const { return last_model_; }
  const std::string& last_snapshot_state() const { return last_state_; }

 private:
  void init_train_net();
  void init_test_nets();
  void check_snapshot_folder() const;
  void run_iteration();
  void prepare_cuda_graph();
  void run_graph_iteration();
  void finish_iterations(int leave_running = 0);
  NamedValues test(int net_id);
  void display(float lr);
  void update_smoothed_loss(float loss, int iter);
  void check_loss_finite(float loss, int iter) const;
  bool handle_test_requests();
  std::string snapshot_filename(const std::string& extension) const;
  void fill_state(caffe::SolverState* state, const std::string& model) const;
  void restore_extras(const caffe::SolverState& state, const std::string& path);
  double seconds() const;

  caffe::SolverParameter param_;
  std::string where_;
  std::unique_ptr<Net> net_;
  std::vector<std::unique_ptr<Net>> test_nets_;
  std::unique_ptr<UpdateRule> rule_;
  Mode mode_ = Mode::cpu;
  bool cuda_graph_ = true;
  bool graph_planned_ = false;  // prepare_cuda_graph decided for this mode and setting
#ifdef CORTADO_WITH_CUDA
  std::unique_ptr<gpu::TrainGraph> graph_;
#endif
  int iter_ = 0;
  int current_step_ = 0;
  bool requested_early_exit_ = false;
  int last_snapshot_iter_ = -1;
  std::string last_model_, last_state_;

  // Caffe's smoothed loss: a ring of the last average_loss losses whose slot
  // is (iter - loss_start_iter_) % average_loss. Kept across a restore.
  std::vector<float> losses_;
  float smoothed_loss_ = 0;
  int loss_start_iter_ = 0;
  bool keep_losses_ = false;

  std::function<SolverAction()> action_;
  std::shared_ptr<MetricsLog> metrics_;
  std::chrono::steady_clock::time_point run_start_, display_start_;
  int display_last_iter_ = 0;
};

}  // namespace cortado
