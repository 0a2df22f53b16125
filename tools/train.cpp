// train: Caffe's `caffe train` — trains a net from a solver prototxt, from
// scratch, from caffemodel weights (--weights) or resuming a snapshot (--snapshot).
#include <string>

#include "solvers/solver.hpp"
#include "solvers/solver_params.hpp"
#include "solvers/training_run.hpp"
#include "solvers/signal_flags.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Trains a net as Caffe's `caffe train` does: the solver prototxt names the net(s),\n"
    "the solver type, the learning-rate policy, the test and snapshot schedule. The log\n"
    "(stderr) uses Caffe's glog format and phrases, so Caffe's parse_log.py reads it.\n"
    "\n"
    "Signals are checked between iterations:\n"
    "  SIGINT  default 'stop': write a snapshot of the current iteration, then exit 0\n"
    "          (Cortado snapshots on stop by default; Caffe only does with snapshot_after_train)\n"
    "  SIGHUP  default 'snapshot': write a snapshot and go on training\n"
    "Snapshots are <snapshot_prefix>_iter_<N>.caffemodel and .solverstate; our solverstates\n"
    "also keep the Data layers' positions and the random state, so `resume` continues\n"
    "exactly where the run stopped. Flags may also be written Caffe's way: -solver=S.";

struct Flags {
  cortado::SignalFlags signals;
  cortado::GpuMathFlags gpu_math;
  bool no_cuda_graph = false;
  std::string solver, weights, snapshot, stage, metrics;
  std::string gpu;
  int level = -1;
};

void configure(CLI::App& app, Flags& f) {
  app.add_option("--solver", f.solver, "the solver prototxt")->required();
  auto* w = app.add_option("--weights", f.weights,
                           "caffemodel(s) to start from, comma-separated (copied by layer name)");
  auto* s = app.add_option("--snapshot", f.snapshot, "a .solverstate to resume from");
  w->excludes(s);
  cortado::add_signal_flags(app, f.signals);
  app.add_option("--level", f.level, "the train net state's level (include/exclude rules)");
  app.add_option("--stage", f.stage, "the train net state's stages, comma-separated");
  app.add_option("--metrics", f.metrics, "also write one JSON line per display and test here");
  app.add_option("--gpu", f.gpu,
                 "GPU id, list or 'all' (default: the solver's solver_mode/device_id)");
  cortado::add_gpu_math_flags(app, f.gpu_math);
  cortado::add_cuda_graph_flag(app, f.no_cuda_graph);
}

int run(const Flags& f) {
  cortado::TrainingOptions opts;
  opts.solver = f.solver;
  opts.weights = f.weights;
  opts.snapshot = f.snapshot;
  opts.level = f.level;
  opts.stages = cortado::split_commas(f.stage);
  opts.metrics = f.metrics;
  opts.append_metrics = !f.snapshot.empty();
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
      argc, argv, "train", kDescription, [&](CLI::App& app) { configure(app, f); },
      [&] { return run(f); });
}
