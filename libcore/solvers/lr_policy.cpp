#include "solvers/lr_policy.hpp"

#include <cmath>
#include <string>

#include "caffe.pb.h"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {

void check_lr_policy(const caffe::SolverParameter& param, const std::string& where) {
  const std::string& p = param.lr_policy();
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw Error(where, "lr_policy \"" + p + "\" needs " + what);
  };
  if (p == "fixed" || p == "poly") {
    if (p == "poly") need(param.max_iter() > 0, "max_iter > 0");
  } else if (p == "step") {
    need(param.stepsize() > 0, "stepsize > 0");
    need(param.gamma() >= 0, "gamma >= 0");
  } else if (p == "exp" || p == "inv" || p == "multistep") {
    need(param.gamma() >= 0, "gamma >= 0");
  } else if (p == "sigmoid") {
    need(param.stepsize() > 0, "stepsize > 0");
    need(param.gamma() >= 0, "gamma >= 0");
  } else {
    throw Error(where, "unknown lr_policy \"" + p +
                           "\" (expected fixed, step, exp, inv, multistep, poly or sigmoid)");
  }
}

// Caffe's float solver raises a float to an int power in double (std::pow's
// promotion) and everything else in float; so do we, so that rates agree.
float learning_rate(const caffe::SolverParameter& param, int iter, int* current_step) {
  const std::string& p = param.lr_policy();
  const float base = param.base_lr(), gamma = param.gamma(), power = param.power();
  if (p == "fixed") return base;
  if (p == "step") {
    *current_step = iter / param.stepsize();
    return static_cast<float>(base * std::pow(gamma, *current_step));
  }
  if (p == "exp") return static_cast<float>(base * std::pow(gamma, iter));
  if (p == "inv") return base * std::pow(1.f + gamma * static_cast<float>(iter), -power);
  if (p == "multistep") {
    if (*current_step < param.stepvalue_size() && iter >= param.stepvalue(*current_step)) {
      ++*current_step;
      LOG_INFO("MultiStep Status: Iteration {}, step = {}", iter, *current_step);
    }
    return static_cast<float>(base * std::pow(gamma, *current_step));
  }
  if (p == "poly")
    return base * std::pow(1.f - static_cast<float>(iter) / static_cast<float>(param.max_iter()),
                           power);
  if (p == "sigmoid")
    return base *
           (1.f / (1.f + std::exp(-gamma * (static_cast<float>(iter) -
                                            static_cast<float>(param.stepsize())))));
  throw Error("unknown lr_policy \"" + p + "\"");
}

}  // namespace cortado
