#include "solvers/signal_flags.hpp"

#include <CLI/CLI.hpp>

#include "solvers/solver_action.hpp"
#include "solvers/training_run.hpp"

namespace cortado {

void add_signal_flags(CLI::App& app, SignalFlags& flags) {
  app.add_option("--sigint_effect,--sigint-effect", flags.sigint,
                 "stop|snapshot|none on SIGINT (default stop: snapshot, then exit 0)");
  app.add_option("--sighup_effect,--sighup-effect", flags.sighup,
                 "stop|snapshot|none on SIGHUP (default snapshot: snapshot, go on)");
}

void apply_signal_flags(const SignalFlags& flags, TrainingOptions& opts) {
  opts.on_sigint = parse_solver_action(flags.sigint, "--sigint_effect");
  opts.on_sighup = parse_solver_action(flags.sighup, "--sighup_effect");
}

}  // namespace cortado
