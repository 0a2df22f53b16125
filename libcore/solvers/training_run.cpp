#include "solvers/training_run.hpp"

#include <cctype>

#include "caffe.pb.h"
#include "solvers/metrics_log.hpp"
#include "solvers/signal_action.hpp"
#include "solvers/solver.hpp"
#include "solvers/solver_params.hpp"
#include "util/device.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {

void gflags_style_args(int argc, char** argv) {
  static std::vector<std::string> rewritten;  // argv must keep pointing at live strings
  rewritten.reserve(static_cast<size_t>(argc));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    // "-x" stays a short flag; "-solver" (two or more letters) is a gflags long flag.
    auto letter = [&](size_t i) { return std::isalpha(static_cast<unsigned char>(a[i])) != 0; };
    if (a.size() > 2 && a[0] == '-' && letter(1) && letter(2)) {
      rewritten.push_back("-" + a);
      argv[i] = rewritten.back().data();
    }
  }
}

std::unique_ptr<Solver> build_solver(const TrainingOptions& opts) {
  caffe::SolverParameter param;
  read_solver_params(opts.solver, &param);
  if (opts.level >= 0) param.mutable_train_state()->set_level(opts.level);
  for (const auto& s : opts.stages) param.mutable_train_state()->add_stage(s);
  // As Caffe's train: a snapshot brings its own weights (--weights, if given, replaces
  // them in restore()); otherwise --weights replaces the solver file's `weights`.
  if (!opts.snapshot.empty()) {
    param.clear_weights();
  } else if (!opts.weights.empty()) {
    param.clear_weights();
    param.add_weights(opts.weights);
  }
  check_solver_params(param, opts.solver);
  const bool solver_gpu =
      param.has_solver_mode() && param.solver_mode() == caffe::SolverParameter::GPU;
  const DeviceChoice device = choose_device(opts.gpu, solver_gpu, param.device_id());
  activate_device(device);
  apply_gpu_math_flags(opts.gpu_math, device);
  auto solver = std::make_unique<Solver>(param, opts.solver);
  solver->set_cuda_graph(opts.cuda_graph);
  if (device.gpu) solver->set_mode(Mode::gpu);
  if (!device.gpu && !opts.cuda_graph)
    LOG_INFO("--no-cuda-graph only affects GPU runs; this run uses the CPU");
  if (!opts.snapshot.empty()) {
    LOG_INFO("Resuming from {}", opts.snapshot);
    solver->restore(opts.snapshot, opts.weights);
  }
  return solver;
}

int run_training(Solver& solver, const TrainingOptions& opts) {
  SignalActions signals(opts.on_sigint, opts.on_sighup);
  solver.set_action_function([&signals] { return signals.poll(); });
  if (!opts.metrics.empty())
    solver.set_metrics(std::make_shared<MetricsLog>(opts.metrics, opts.append_metrics));
  LOG_INFO("Starting Optimization");
  solver.solve();
  solver.set_action_function(nullptr);
  if (!solver.stopped_early()) LOG_INFO("Optimization Done.");
  return 0;
}

}  // namespace cortado
