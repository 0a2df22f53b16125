// Learning-rate policies against Caffe's formulas, with the golden LeNet log's
// own "Iteration N, lr = X" values for inv (base 0.01, gamma 1e-4, power 0.75).
#include <catch2/catch.hpp>

#include "caffe.pb.h"
#include "solvers/lr_policy.hpp"

namespace {
caffe::SolverParameter policy(const std::string& name) {
  caffe::SolverParameter sp;
  sp.set_lr_policy(name);
  sp.set_base_lr(0.01f);
  return sp;
}
float rate(const caffe::SolverParameter& sp, int iter) {
  int step = 0;
  return cortado::learning_rate(sp, iter, &step);
}
}  // namespace

TEST_CASE("inv policy reproduces the golden LeNet log", "[solvers][lr]") {
  auto sp = policy("inv");
  sp.set_gamma(1e-4f);
  sp.set_power(0.75f);
  CHECK(rate(sp, 0) == Approx(0.01));
  CHECK(rate(sp, 100) == Approx(0.00992565).epsilon(1e-6));
  CHECK(rate(sp, 500) == Approx(0.00964069).epsilon(1e-6));
  CHECK(rate(sp, 900) == Approx(0.00937411).epsilon(1e-6));
}

TEST_CASE("fixed, step, exp, poly and sigmoid policies follow Caffe's formulas", "[solvers][lr]") {
  CHECK(rate(policy("fixed"), 12345) == Approx(0.01));
  auto step = policy("step");
  step.set_gamma(0.1f);
  step.set_stepsize(100);
  int current = 0;
  CHECK(cortado::learning_rate(step, 250, &current) == Approx(0.01 * 0.1 * 0.1));
  CHECK(current == 2);  // the solverstate's current_step
  auto exp = policy("exp");
  exp.set_gamma(0.99f);
  CHECK(rate(exp, 10) == Approx(0.01 * std::pow(0.99, 10)).epsilon(1e-5));
  auto poly = policy("poly");
  poly.set_power(2.f);
  poly.set_max_iter(1000);
  CHECK(rate(poly, 250) == Approx(0.01 * 0.75 * 0.75));
  auto sig = policy("sigmoid");
  sig.set_gamma(0.05f);
  sig.set_stepsize(200);
  CHECK(rate(sig, 200) == Approx(0.005));
  CHECK(rate(sig, 300) == Approx(0.01 / (1 + std::exp(-5.0))).epsilon(1e-5));
}

TEST_CASE("multistep policy advances one stepvalue at a time", "[solvers][lr]") {
  auto sp = policy("multistep");
  sp.set_gamma(0.5f);
  sp.add_stepvalue(10);
  sp.add_stepvalue(20);
  int current = 0;
  CHECK(cortado::learning_rate(sp, 9, &current) == Approx(0.01));
  CHECK(cortado::learning_rate(sp, 10, &current) == Approx(0.005));
  CHECK(cortado::learning_rate(sp, 15, &current) == Approx(0.005));
  CHECK(cortado::learning_rate(sp, 20, &current) == Approx(0.0025));
  CHECK(current == 2);
}

TEST_CASE("unknown lr policy and missing parameters are errors", "[solvers][lr]") {
  CHECK_THROWS_WITH(cortado::check_lr_policy(policy("cosine"), "s.prototxt"),
                    Catch::Contains("unknown lr_policy \"cosine\""));
  CHECK_THROWS_WITH(cortado::check_lr_policy(policy("step"), "s.prototxt"),
                    Catch::Contains("stepsize > 0"));
  CHECK_NOTHROW(cortado::check_lr_policy(policy("fixed"), "s.prototxt"));
}
