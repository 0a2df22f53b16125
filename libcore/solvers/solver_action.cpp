#include "solvers/solver_action.hpp"

#include "util/error.hpp"

namespace cortado {

SolverAction parse_solver_action(const std::string& value, const std::string& flag) {
  if (value == "stop") return SolverAction::stop;
  if (value == "snapshot") return SolverAction::snapshot;
  if (value == "none") return SolverAction::none;
  throw Error(flag, "unknown effect \"" + value + "\" (expected stop, snapshot or none)");
}

}  // namespace cortado
