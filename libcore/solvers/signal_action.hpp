#pragma once
// SIGINT and SIGHUP during training. The handlers only set a flag; the solver
// asks for it between iterations (and between test batches), so a signal never
// interrupts a write: a snapshot is either written whole or not at all.
#include "solvers/solver_action.hpp"

namespace cortado {

class SignalActions {
 public:
  // Installs the handlers (one instance at a time); the destructor restores the old ones.
  SignalActions(SolverAction on_sigint, SolverAction on_sighup);
  ~SignalActions();
  SignalActions(const SignalActions&) = delete;
  SignalActions& operator=(const SignalActions&) = delete;

  // The action for the signal received since the last call (stop wins), then clears it.
  SolverAction poll();

 private:
  SolverAction on_sigint_, on_sighup_;
};

}  // namespace cortado
