#include "solvers/training_run.hpp"

#include <cctype>

#include "caffe.pb.h"
#include "solvers/metrics_log.hpp"
#include "solvers/signal_action.hpp"
#include "solvers/solver.hpp"
#include "solvers/solver_params.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

// --gpu wins; else an explicit solver_mode: GPU picks device_id (Caffe's train).
int chosen_gpu(const caffe::SolverParameter& param, int flag) {
  if (flag >= 0) return flag;
  if (param.has_solver_mode() && param.solver_mode() == caffe::SolverParameter::GPU)
    return param.device_id();
  return -1;
}

bool use_gpu(int gpu) {
#ifdef CORTADO_WITH_CUDA
  return gpu >= 0;
#else
  (void)gpu;
  return false;
#endif
}

void log_mode(int gpu) {
  if (gpu < 0)
    LOG_INFO("Use CPU.");
  else if (use_gpu(gpu))
    LOG_INFO("Use GPU with device ID {}", gpu);
  else
    LOG_WARN("solver_mode GPU (device {}), but this build has no GPU backend: using the CPU",
             gpu);
}

}  // namespace

void gflags_style_args(int argc, char** argv) {
  static std::vector<std::string> rewritten;  // argv must keep pointing at live strings
  rewritten.reserve(static_cast<size_t>(argc));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    // "-x" stays a short flag; "-solver" (two or more letters) is a gflags long flag.
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' && std::isalpha(static_cast<unsigned char>(a[1])) &&
        std::isalpha(static_cast<unsigned char>(a[2]))) {
      rewritten.push_back("-" + a);
      argv[i] = rewritten.back().data();
    }
  }
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
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
  if (opts.gpu >= 0 && !use_gpu(opts.gpu))
    throw Error("--gpu", "this Cortado was built without the CUDA backend; drop --gpu");
  const int gpu = chosen_gpu(param, opts.gpu);
  log_mode(gpu);
  auto solver = std::make_unique<Solver>(param, opts.solver);
  if (use_gpu(gpu)) solver->set_mode(Mode::gpu);
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
