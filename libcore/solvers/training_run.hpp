#pragma once
// What the train, resume and finetune tools share: the solver file read and
// checked, the command-line overrides applied (Caffe's train flags), the solver
// built, weights or a snapshot loaded, signals installed, and the run itself
// with Caffe's opening and closing log lines.
#include <memory>
#include <string>
#include <vector>

#include "solvers/solver_action.hpp"
#include "solvers/solver_params.hpp"  // split_commas, used by the tools
#include "util/gpu_flags.hpp"

namespace cortado {

class Solver;

struct TrainingOptions {
  std::string solver;     // --solver
  std::string weights;    // --weights a.caffemodel[,b.caffemodel]
  std::string snapshot;   // --snapshot X.solverstate (resume)
  int level = -1;         // --level (-1: the solver's train_state level)
  std::vector<std::string> stages;  // --stage, added to train_state
  std::string metrics;    // --metrics FILE.jsonl
  bool append_metrics = false;
  std::string gpu;        // --gpu ("" : the solver's solver_mode / device_id)
  GpuMathFlags gpu_math;  // --deterministic, --tf32
  bool cuda_graph = true;  // false: --no-cuda-graph
  SolverAction on_sigint = SolverAction::stop;
  SolverAction on_sighup = SolverAction::snapshot;
};

// Reads, upgrades and checks the solver; builds the nets; copies --weights.
// With a snapshot, restores it (then --weights, if given, replaces learned_net).
std::unique_ptr<Solver> build_solver(const TrainingOptions& opts);

// Installs the signal handlers and the metrics file and trains to max_iter.
// Returns the tool's exit code: 0, also after a requested stop.
int run_training(Solver& solver, const TrainingOptions& opts);

// Caffe's gflags spellings: "-solver=S" and "-solver S" become "--solver=S" /
// "--solver S" (argv is rewritten in place), so Caffe command lines work unchanged.
void gflags_style_args(int argc, char** argv);

}  // namespace cortado
