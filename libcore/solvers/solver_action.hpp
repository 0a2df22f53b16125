#pragma once
// What a program asks the solver to do between iterations (Caffe's SolverAction):
// the train tool maps SIGINT and SIGHUP to these through signal_action.hpp.
#include <string>

namespace cortado {

enum class SolverAction { none, stop, snapshot };

// "stop", "snapshot" or "none"; anything else is an Error naming `flag`.
SolverAction parse_solver_action(const std::string& value, const std::string& flag);

}  // namespace cortado
