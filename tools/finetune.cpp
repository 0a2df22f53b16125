// finetune: trains a net starting from a pretrained caffemodel, copied by layer
// name, and reports which layers were copied, which start fresh and which are frozen.
#include <cstdio>
#include <string>

#include "caffe.pb.h"
#include "net/upgrade.hpp"
#include "solvers/finetune_report.hpp"
#include "solvers/solver.hpp"
#include "solvers/solver_params.hpp"
#include "solvers/training_run.hpp"
#include "util/log.hpp"
#include "solvers/signal_flags.hpp"
#include "util/tool_main.hpp"

namespace {

constexpr const char* kDescription =
    "Fine-tunes: builds the solver's nets, copies the pretrained weights into every layer\n"
    "of the same name, and trains. Layers whose name is not in the caffemodel (rename the\n"
    "last layer to give it a new number of outputs) start from their fillers; parameters\n"
    "with lr_mult: 0 are frozen and come out unchanged, bit for bit.\n"
    "Before training, stdout gets four lines: 'copied: ...', 'new: ...', 'frozen: ...' and\n"
    "'unused: ...' (pretrained layers this net does not have), layer names comma-separated.\n"
    "Signals: SIGINT snapshots and stops (default), SIGHUP snapshots and goes on.";

struct Flags {
  cortado::SignalFlags signals;
  cortado::GpuMathFlags gpu_math;
  bool no_cuda_graph = false;
  std::string solver, weights, stage, metrics, gpu;
  int level = -1;
};

void configure(CLI::App& app, Flags& f) {
  app.add_option("--solver", f.solver, "the solver prototxt")->required();
  app.add_option("--weights", f.weights, "the pretrained caffemodel")->required();
  cortado::add_signal_flags(app, f.signals);
  app.add_option("--level", f.level, "the train net state's level (include/exclude rules)");
  app.add_option("--stage", f.stage, "the train net state's stages, comma-separated");
  app.add_option("--metrics", f.metrics, "also write one JSON line per display and test here");
  app.add_option("--gpu", f.gpu,
                 "GPU id, list or 'all' (default: the solver's solver_mode/device_id)");
  cortado::add_gpu_math_flags(app, f.gpu_math);
  cortado::add_cuda_graph_flag(app, f.no_cuda_graph);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void report(const cortado::FinetuneReport& r) {
  std::printf("copied: %s\nnew: %s\nfrozen: %s\nunused: %s\n", join(r.copied).c_str(),
              join(r.fresh).c_str(), join(r.frozen).c_str(), join(r.unused).c_str());
  std::fflush(stdout);
  LOG_INFO("Fine-tuning: copied [{}], new (from fillers) [{}], frozen (lr_mult 0) [{}]",
           join(r.copied), join(r.fresh), join(r.frozen));
}

int run(const Flags& f) {
  cortado::TrainingOptions opts;
  opts.solver = f.solver;
  opts.level = f.level;
  opts.stages = cortado::split_commas(f.stage);
  opts.metrics = f.metrics;
  opts.gpu = f.gpu;
  opts.gpu_math = f.gpu_math;
  opts.cuda_graph = !f.no_cuda_graph;
  cortado::apply_signal_flags(f.signals, opts);
  caffe::NetParameter pretrained;
  cortado::read_net_param_binary(f.weights, &pretrained);
  auto solver = cortado::build_solver(opts);
  LOG_INFO("Copying weights from {}", f.weights);
  solver->load_weights(pretrained);
  report(cortado::finetune_report(solver->net(), pretrained));
  return cortado::run_training(*solver, opts);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  cortado::gflags_style_args(argc, argv);
  return cortado::run_tool(
      argc, argv, "finetune", kDescription, [&](CLI::App& app) { configure(app, f); },
      [&] { return run(f); });
}
