// resume: continues a training run from its .solverstate (Caffe's
// `caffe train --snapshot`), with the iteration, history, learning-rate schedule,
// weights and, for our own solverstates, the data positions and random state.
#include <string>

#include "solvers/solver.hpp"
#include "solvers/training_run.hpp"
#include "solvers/signal_flags.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Resumes training from a snapshot: the iteration, the solver history, the learning-rate\n"
    "schedule and the weights. The weights come from --weights if given, else from the\n"
    "solverstate's learned_net, tried as written (relative to the current folder, as Caffe)\n"
    "and then beside the solverstate. Solverstates written by Cortado also restore the Data\n"
    "layers' positions, the random state and the smoothed loss, so the resumed run computes\n"
    "exactly what the uninterrupted one would have; Caffe's own solverstates resume with the\n"
    "data read from the beginning again (a warning says so), as in Caffe.\n"
    "Signals: SIGINT snapshots and stops (default), SIGHUP snapshots and goes on.";

struct Flags {
  cortado::SignalFlags signals;
  cortado::GpuMathFlags gpu_math;
  bool no_cuda_graph = false;
  std::string solver, snapshot, weights, metrics, gpu;
};

void configure(CLI::App& app, Flags& f) {
  app.add_option("--solver", f.solver, "the solver prototxt")->required();
  app.add_option("--snapshot", f.snapshot, "the .solverstate to resume from")->required();
  app.add_option("--weights", f.weights, "caffemodel to use instead of the state's learned_net");
  cortado::add_signal_flags(app, f.signals);
  app.add_option("--metrics", f.metrics, "append one JSON line per display and test here");
  app.add_option("--gpu", f.gpu,
                 "GPU id, list or 'all' (default: the solver's solver_mode/device_id)");
  cortado::add_gpu_math_flags(app, f.gpu_math);
  cortado::add_cuda_graph_flag(app, f.no_cuda_graph);
}

int run(const Flags& f) {
  cortado::TrainingOptions opts;
  opts.solver = f.solver;
  opts.snapshot = f.snapshot;
  opts.weights = f.weights;
  opts.metrics = f.metrics;
  opts.append_metrics = true;
  opts.gpu = f.gpu;
  opts.gpu_math = f.gpu_math;
  opts.cuda_graph = !f.no_cuda_graph;
  cortado::apply_signal_flags(f.signals, opts);
  auto solver = cortado::build_solver(opts);
  return cortado::run_training(*solver, opts);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  cortado::gflags_style_args(argc, argv);
  return cortado::run_tool(
      argc, argv, "resume", kDescription, [&](CLI::App& app) { configure(app, f); },
      [&] { return run(f); });
}
