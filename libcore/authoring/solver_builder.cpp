#include "authoring/solver_builder.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "authoring/closest.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"

namespace cortado::authoring {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void check_nets(const SolverOptions& o) {
  if (o.net && o.train_net) throw Error("--net", "give either --net or --train-net, not both");
  if (!o.net && !o.train_net) throw Error("netgen solver", "needs --net or --train-net");
  if (o.net && !o.test_net.empty())
    throw Error("--test-net", "goes with --train-net; with --net the TEST phase of that net is tested");
  if (!o.test_net.empty() && o.test_iter.size() != o.test_net.size())
    throw Error("--test-iter", "give one --test-iter per --test-net (" +
                                   std::to_string(o.test_net.size()) + " test nets, " +
                                   std::to_string(o.test_iter.size()) + " --test-iter)");
  if (!o.test_iter.empty() && !o.test_interval)
    throw Error("--test-iter", "needs --test-interval (how often to test)");
  if (o.test_interval && o.test_iter.empty())
    throw Error("--test-interval", "needs --test-iter (how many batches a test runs)");
  for (int t : o.test_iter)
    if (t <= 0) throw Error("--test-iter", "must be positive");
  if (o.test_interval && *o.test_interval <= 0) throw Error("--test-interval", "must be positive");
}

// Which of gamma, power, stepsize, stepvalue each policy reads (Caffe's GetLearningRate).
struct PolicyNeeds {
  bool gamma, power, stepsize, stepvalue;
};

void check_policy(const SolverOptions& o, const std::string& policy) {
  static const std::map<std::string, PolicyNeeds> needs = {
      {"fixed", {false, false, false, false}},   {"step", {true, false, true, false}},
      {"exp", {true, false, false, false}},      {"inv", {true, true, false, false}},
      {"multistep", {true, false, false, true}}, {"poly", {false, true, false, false}},
      {"sigmoid", {true, false, true, false}},
  };
  auto it = needs.find(policy);
  if (it == needs.end()) {
    std::vector<std::string> names;
    for (const auto& kv : needs) names.push_back(kv.first);
    throw Error("--lr-policy", "unknown policy '" + policy +
                                   "' (fixed, step, exp, inv, multistep, poly, sigmoid)" +
                                   did_you_mean(policy, names));
  }
  const PolicyNeeds& n = it->second;
  auto want = [&](bool needed, bool given, const char* flag) {
    if (needed && !given) throw Error("--lr-policy", policy + " needs " + flag);
    if (!needed && given)
      throw Error(flag, "has no effect with --lr-policy " + policy);
  };
  want(n.gamma, o.gamma.has_value(), "--gamma");
  want(n.power, o.power.has_value(), "--power");
  want(n.stepsize, o.stepsize.has_value(), "--stepsize");
  want(n.stepvalue, !o.stepvalue.empty(), "--stepvalue");
  if (o.stepsize && *o.stepsize <= 0) throw Error("--stepsize", "must be positive");
  for (size_t i = 0; i < o.stepvalue.size(); ++i)
    if (o.stepvalue[i] <= 0 || (i > 0 && o.stepvalue[i] <= o.stepvalue[i - 1]))
      throw Error("--stepvalue", "values must be positive and increasing");
}

std::string solver_type(const std::string& given, bool has_momentum) {
  static const std::vector<std::string> types = {"SGD",     "Nesterov", "AdaGrad",
                                                  "RMSProp", "AdaDelta", "Adam"};
  for (const auto& t : types) {
    if (lower(t) != lower(given)) continue;
    // Caffe refuses these two at start-up ("Momentum cannot be used with ...").
    if (has_momentum && (t == "AdaGrad" || t == "RMSProp"))
      throw Error("--momentum", "cannot be used with --type " + t);
    return t;
  }
  throw Error("--type", "unknown solver type '" + given +
                            "' (SGD, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam)" +
                            did_you_mean(given, types));
}

}  // namespace

caffe::SolverParameter build_solver(const SolverOptions& o) {
  check_nets(o);
  const std::string policy = o.lr_policy.value_or("fixed");
  check_policy(o, policy);
  if (!o.base_lr) throw Error("netgen solver", "needs --base-lr");
  if (*o.base_lr <= 0) throw Error("--base-lr", "must be positive");
  if (!o.max_iter) throw Error("netgen solver", "needs --max-iter");
  if (*o.max_iter <= 0) throw Error("--max-iter", "must be positive");
  if (o.display && *o.display < 0) throw Error("--display", "must be 0 (off) or positive");
  if (o.snapshot && *o.snapshot < 0) throw Error("--snapshot", "must be 0 (off) or positive");
  if (o.snapshot_prefix && !o.snapshot)
    throw Error("--snapshot-prefix", "needs --snapshot (how often to snapshot)");

  caffe::SolverParameter s;
  if (o.net) s.set_net(*o.net);
  if (o.train_net) s.set_train_net(*o.train_net);
  for (const auto& t : o.test_net) s.add_test_net(t);
  for (int t : o.test_iter) s.add_test_iter(t);
  if (o.test_interval) s.set_test_interval(*o.test_interval);
  s.set_base_lr(static_cast<float>(*o.base_lr));
  if (o.display) s.set_display(*o.display);
  s.set_max_iter(*o.max_iter);
  s.set_lr_policy(policy);
  if (o.gamma) s.set_gamma(static_cast<float>(*o.gamma));
  if (o.power) s.set_power(static_cast<float>(*o.power));
  if (o.momentum) s.set_momentum(static_cast<float>(*o.momentum));
  if (o.weight_decay) s.set_weight_decay(static_cast<float>(*o.weight_decay));
  if (o.stepsize) s.set_stepsize(*o.stepsize);
  for (int v : o.stepvalue) s.add_stepvalue(v);
  if (o.snapshot) s.set_snapshot(*o.snapshot);
  if (o.snapshot_prefix) s.set_snapshot_prefix(*o.snapshot_prefix);
  if (o.solver_mode) {
    std::string m = lower(*o.solver_mode);
    if (m != "cpu" && m != "gpu")
      throw Error("--solver-mode", "expected CPU or GPU, got '" + *o.solver_mode + "'");
    s.set_solver_mode(m == "cpu" ? caffe::SolverParameter::CPU : caffe::SolverParameter::GPU);
  }
  if (o.random_seed) s.set_random_seed(*o.random_seed);
  if (o.type) s.set_type(solver_type(*o.type, o.momentum.has_value() && *o.momentum != 0));
  return s;
}

}  // namespace cortado::authoring
