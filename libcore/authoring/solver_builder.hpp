#pragma once
// `netgen solver`: a SolverParameter from flags, refusing combinations Caffe
// would reject or silently ignore (a policy without its parameters, a
// parameter the policy does not use, test nets without test_iter, ...).
#include <optional>
#include <string>
#include <vector>

namespace caffe {
class SolverParameter;
}

namespace cortado::authoring {

struct SolverOptions {
  std::optional<std::string> net, train_net;
  std::vector<std::string> test_net;
  std::vector<int> test_iter;
  std::optional<int> test_interval, max_iter, display, snapshot, stepsize;
  std::vector<int> stepvalue;
  std::optional<double> base_lr, gamma, power, momentum, weight_decay;
  std::optional<std::string> lr_policy, snapshot_prefix, type, solver_mode;
  std::optional<long long> random_seed;
};

// Errors name the flag at fault ("--stepsize: ...").
caffe::SolverParameter build_solver(const SolverOptions& options);

}  // namespace cortado::authoring
