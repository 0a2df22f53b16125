// Each solver type's update against Caffe's formulas, worked by hand for SGD
// (below) and with the same formulas in double precision for the others.
// Setting: w = (1, -2), gradient g = (0.5, 0.25) every step, weight_decay 0.1
// (decay_mult 1), two updates.
//   SGD, rate 0.1 x lr_mult 2 = 0.2, momentum 0.9, L2:
//     step 1: g' = g + 0.1 w = (0.6, 0.05); h = 0.2 g' = (0.12, 0.01); w = (0.88, -2.01)
//     step 2: g' = (0.588, 0.049); h = 0.2 g' + 0.9 h = (0.2256, 0.0188); w = (0.6544, -2.0288)
#include <catch2/catch.hpp>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "solvers/update_rule.hpp"

using cortado::Blob;
using cortado::UpdateRule;

namespace {

struct Run {
  std::vector<float> w, history;
};

Run run_rule(const caffe::SolverParameter& sp, float rate = 0.1f, float lr_mult = 2.f,
             int steps = 2) {
  Blob w({2});
  w.mutable_data()[0] = 1.f;
  w.mutable_data()[1] = -2.f;
  auto rule = cortado::make_update_rule(sp, {{&w, lr_mult, 1.f}});
  for (int it = 0; it < steps; ++it) {
    w.mutable_diff()[0] = 0.5f;
    w.mutable_diff()[1] = 0.25f;
    rule->apply(rate, it);
  }
  Run r{{w.data()[0], w.data()[1]}, {}};
  for (auto& h : rule->history())
    for (int i = 0; i < h->count(); ++i) r.history.push_back(h->data()[i]);
  return r;
}

caffe::SolverParameter solver(const std::string& type, float momentum) {
  caffe::SolverParameter sp;
  sp.set_type(type);
  sp.set_momentum(momentum);
  sp.set_weight_decay(0.1f);
  return sp;
}

void check(const Run& r, const std::vector<double>& w, const std::vector<double>& history) {
  REQUIRE(r.history.size() == history.size());
  for (size_t i = 0; i < w.size(); ++i) CHECK(r.w[i] == Approx(w[i]).epsilon(1e-5));
  for (size_t i = 0; i < history.size(); ++i)
    CHECK(r.history[i] == Approx(history[i]).epsilon(1e-4).margin(1e-12));
}

}  // namespace

TEST_CASE("SGD update follows Caffe's momentum formula", "[solvers][update]") {
  check(run_rule(solver("SGD", 0.9f)), {0.6544, -2.0288}, {0.2256, 0.0188});
}

TEST_CASE("SGD with L1 regularization adds decay times the sign", "[solvers][update]") {
  auto sp = solver("SGD", 0.9f);
  sp.set_regularization_type("L1");
  // g' = (0.5 + 0.1, 0.25 - 0.1) = (0.6, 0.15); h = (0.12, 0.03); w = (0.88, -2.03);
  // then h = 0.2 g' + 0.9 h = (0.228, 0.057); w = (0.652, -2.087)
  check(run_rule(sp), {0.652, -2.087}, {0.228, 0.057});
}

TEST_CASE("Nesterov update steps back then over", "[solvers][update]") {
  // update = (1 + m) h_new - m h_old
  check(run_rule(solver("Nesterov", 0.9f)), {0.455464, -2.045378}, {0.22344, 0.01862});
}

TEST_CASE("AdaGrad update divides by the root of summed squares plus delta",
          "[solvers][update]") {
  check(run_rule(solver("AdaGrad", 0.f)), {0.660995586, -2.3028991}, {0.6964, 0.00340000024});
}

TEST_CASE("RMSProp update uses the decayed mean of squares", "[solvers][update]") {
  check(run_rule(solver("RMSProp", 0.f)), {-2.11326026, -2.10168171},
        {0.00516400027, 0.0002497488});
}

TEST_CASE("AdaDelta update keeps two history sets", "[solvers][update]") {
  auto sp = solver("AdaDelta", 0.95f);
  sp.set_delta(1e-6f);
  // history = squared gradients for each parameter, then squared updates.
  check(run_rule(sp, 1.f, 1.f), {0.991000653, -2.00894543},
        {0.0350731779, 0.000241532744, 1.97478543e-06, 1.95094691e-06});
}

TEST_CASE("Adam update applies bias correction through the local rate", "[solvers][update]") {
  auto sp = solver("Adam", 0.9f);
  // history = m for each parameter, then v.
  check(run_rule(sp, 0.01f, 1.f), {0.980000447, -2.01999412},
        {0.1139, 0.00940000063, 0.000718441001, 4.89850062e-06});
}

TEST_CASE("deprecated solver_type enum selects the same rule", "[solvers][update]") {
  caffe::SolverParameter sp;
  sp.set_solver_type(caffe::SolverParameter::NESTEROV);
  CHECK(cortado::solver_type_name(sp) == "Nesterov");
  sp.set_momentum(0.9f);
  sp.set_weight_decay(0.1f);
  check(run_rule(sp), {0.455464, -2.045378}, {0.22344, 0.01862});
}

TEST_CASE("lr_mult 0 freezes a parameter bit for bit", "[solvers][update]") {
  for (const char* type : {"SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam"}) {
    auto sp = solver(type, std::string(type) == "AdaGrad" || std::string(type) == "RMSProp" ? 0.f : 0.9f);
    Run r = run_rule(sp, 0.1f, 0.f, 3);
    CHECK(r.w[0] == 1.f);
    CHECK(r.w[1] == -2.f);
  }
}

TEST_CASE("clip_gradients scales all diffs to the global norm", "[solvers][update]") {
  caffe::SolverParameter sp;
  sp.set_clip_gradients(1.f);
  Blob a({1}), b({1});
  a.set_data(0.f);
  b.set_data(0.f);
  a.mutable_diff()[0] = 3.f;  // norm of (3, 4) is 5 -> scaled by 1/5
  b.mutable_diff()[0] = 4.f;
  auto rule = cortado::make_update_rule(sp, {{&a, 1.f, 1.f}, {&b, 1.f, 1.f}});
  rule->apply(1.f, 0);  // momentum 0: w -= 1 * clipped gradient
  CHECK(a.data()[0] == Approx(-0.6f));
  CHECK(b.data()[0] == Approx(-0.8f));
}

TEST_CASE("iter_size divides the accumulated gradient", "[solvers][update]") {
  caffe::SolverParameter sp;
  sp.set_iter_size(4);
  Blob a({1});
  a.set_data(0.f);
  a.mutable_diff()[0] = 2.f;
  auto rule = cortado::make_update_rule(sp, {{&a, 1.f, 1.f}});
  rule->apply(1.f, 0);
  CHECK(a.data()[0] == Approx(-0.5f));
}

TEST_CASE("unknown solver types and refused settings are errors", "[solvers][update]") {
  caffe::SolverParameter sp;
  sp.set_type("Adamax");
  CHECK_THROWS_WITH(cortado::check_update_rule(sp, "s.prototxt"),
                    Catch::Contains("unknown solver type \"Adamax\""));
  sp.set_type("AdaGrad");
  sp.set_momentum(0.9f);
  CHECK_THROWS_WITH(cortado::check_update_rule(sp, "s.prototxt"),
                    Catch::Contains("momentum cannot be used with AdaGrad"));
  sp.set_type("SGD");
  sp.set_regularization_type("L3");
  CHECK_THROWS_WITH(cortado::check_update_rule(sp, "s.prototxt"),
                    Catch::Contains("regularization_type"));
}

TEST_CASE("decay_mult scales weight decay per parameter", "[solvers][update]") {
  caffe::SolverParameter sp;
  sp.set_weight_decay(0.1f);
  Blob a({1}), b({1});
  a.set_data(2.f);
  b.set_data(2.f);
  a.set_diff(0.f);
  b.set_diff(0.f);
  // momentum 0, rate 1: w -= decay * decay_mult * w
  auto rule = cortado::make_update_rule(sp, {{&a, 1.f, 0.f}, {&b, 1.f, 3.f}});
  rule->apply(1.f, 0);
  CHECK(a.data()[0] == 2.f);
  CHECK(b.data()[0] == Approx(2.f - 0.3f * 2.f));
}
