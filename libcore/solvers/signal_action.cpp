#include "solvers/signal_action.hpp"

#include <csignal>

#include "util/error.hpp"

namespace cortado {
namespace {

volatile std::sig_atomic_t got_sigint = 0;
volatile std::sig_atomic_t got_sighup = 0;
struct sigaction old_sigint, old_sighup;

extern "C" void on_signal(int sig) {
  if (sig == SIGINT) got_sigint = 1;
  if (sig == SIGHUP) got_sighup = 1;
}

void install(int sig, struct sigaction* old) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(sig, &sa, old) != 0) throw Error("cannot install a signal handler");
}

}  // namespace

SignalActions::SignalActions(SolverAction on_sigint, SolverAction on_sighup)
    : on_sigint_(on_sigint), on_sighup_(on_sighup) {
  got_sigint = got_sighup = 0;
  install(SIGINT, &old_sigint);
  install(SIGHUP, &old_sighup);
}

SignalActions::~SignalActions() {
  sigaction(SIGINT, &old_sigint, nullptr);
  sigaction(SIGHUP, &old_sighup, nullptr);
}

SolverAction SignalActions::poll() {
  SolverAction action = SolverAction::none;
  if (got_sighup) {
    got_sighup = 0;
    action = on_sighup_;
  }
  if (got_sigint) {
    got_sigint = 0;
    if (action != SolverAction::stop) action = on_sigint_ == SolverAction::none ? action : on_sigint_;
  }
  return action;
}

}  // namespace cortado
