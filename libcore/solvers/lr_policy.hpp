#pragma once
// Learning-rate policies with Caffe's formulas (SolverParameter.lr_policy):
//   fixed      base_lr
//   step       base_lr * gamma ^ floor(iter / stepsize)
//   exp        base_lr * gamma ^ iter
//   inv        base_lr * (1 + gamma * iter) ^ (-power)
//   multistep  base_lr * gamma ^ (number of stepvalue entries passed)
//   poly       base_lr * (1 - iter / max_iter) ^ power
//   sigmoid    base_lr / (1 + exp(-gamma * (iter - stepsize)))
#include <string>

namespace caffe {
class SolverParameter;
}

namespace cortado {

// Throws an Error naming the solver file when the policy is unknown or its
// parameters are out of range (Caffe's CHECKs, as one-line errors).
void check_lr_policy(const caffe::SolverParameter& param, const std::string& where);

// The rate at `iter`. `current_step` is the solverstate's current_step: "step"
// sets it, "multistep" advances it (one stepvalue per call at most, as Caffe).
float learning_rate(const caffe::SolverParameter& param, int iter, int* current_step);

}  // namespace cortado
