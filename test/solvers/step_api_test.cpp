// The library API as the cookbook's step-training and online-training loops use
// it: write into the input blobs, step(1), read the loss.
#include <catch2/catch.hpp>

#include <cmath>

#include "caffe.pb.h"
#include "net/net.hpp"
#include "solvers/solver.hpp"
#include "util/proto_io.hpp"

using cortado::Solver;

namespace {

// y = w x + b fitted to y = 2 x - 1 on 8 points, Input -> InnerProduct -> EuclideanLoss.
const char* kRegressionNet = R"(
  name: "regression"
  layer { name: "input" type: "Input" top: "x" top: "y"
          input_param { shape { dim: 8 dim: 1 } shape { dim: 8 dim: 1 } } }
  layer { name: "fc" type: "InnerProduct" bottom: "x" top: "pred"
          inner_product_param { num_output: 1 weight_filler { type: "constant" value: 0 }
                                bias_filler { type: "constant" value: 0 } } }
  layer { name: "loss" type: "EuclideanLoss" bottom: "pred" bottom: "y" top: "loss" }
)";

caffe::SolverParameter regression_solver(const std::string& extra = "") {
  caffe::SolverParameter sp;
  cortado::parse_text_proto(std::string("base_lr: 0.1 momentum: 0.5 lr_policy: \"fixed\" "
                                        "max_iter: 100 random_seed: 1 snapshot_after_train: false ") +
                                extra,
                            "solver", sp);
  cortado::parse_text_proto(kRegressionNet, "net", *sp.mutable_net_param());
  return sp;
}

void feed(Solver& s, int batch) {
  float* x = s.net().blob_by_name("x")->mutable_data();
  float* y = s.net().blob_by_name("y")->mutable_data();
  for (int i = 0; i < 8; ++i) {
    x[i] = static_cast<float>((i + batch) % 8) / 4.f - 1.f;
    y[i] = 2.f * x[i] - 1.f;
  }
}

float loss_of(Solver& s) { return s.net().blob_by_name("loss")->data()[0]; }

}  // namespace

TEST_CASE("solver step API trains from data written into input blobs", "[solvers][api]") {
  Solver s(regression_solver());
  feed(s, 0);
  s.step(1);
  const float first = loss_of(s);
  CHECK(s.iter() == 1);
  for (int i = 1; i < 60; ++i) {
    feed(s, i);
    s.step(1);
  }
  CHECK(loss_of(s) < first * 0.01f);
  const auto& fc = s.net().layer_by_name("fc")->blobs();
  CHECK(fc[0]->data()[0] == Approx(2.f).margin(0.1));
  CHECK(fc[1]->data()[0] == Approx(-1.f).margin(0.1));
  CHECK(s.history().size() == 2);  // one per learnable blob, Caffe's layout
}

TEST_CASE("iter_size accumulates gradients like one larger step", "[solvers][api]") {
  // Same data every pass: iter_size 3 averages three equal gradients, so the
  // weights must match a plain step to rounding.
  Solver one(regression_solver());
  Solver three(regression_solver("iter_size: 3"));
  for (int i = 0; i < 5; ++i) {
    feed(one, i);
    feed(three, i);
    one.step(1);
    three.step(1);
  }
  const auto& a = one.net().layer_by_name("fc")->blobs();
  const auto& b = three.net().layer_by_name("fc")->blobs();
  CHECK(a[0]->data()[0] == Approx(b[0]->data()[0]).epsilon(1e-5));
  CHECK(a[1]->data()[0] == Approx(b[1]->data()[0]).epsilon(1e-5));
}

TEST_CASE("solver tests its test nets and averages their outputs", "[solvers][api]") {
  auto sp = regression_solver("test_iter: 2 test_interval: 1 test_initialization: true");
  Solver s(sp);
  REQUIRE(s.num_test_nets() == 1);
  feed(s, 0);
  float* x = s.test_net(0).blob_by_name("x")->mutable_data();
  float* y = s.test_net(0).blob_by_name("y")->mutable_data();
  for (int i = 0; i < 8; ++i) {
    x[i] = 1.f;
    y[i] = 3.f;
  }
  auto scores = s.test_all();  // weights are 0: prediction 0, loss = 8 * 9 / (2 * 8)
  REQUIRE(scores.size() == 1);
  REQUIRE(scores[0].size() == 1);
  CHECK(scores[0][0].first == "loss");
  CHECK(scores[0][0].second == Approx(4.5f));
}

TEST_CASE("a loss that becomes NaN stops training naming the iteration and the blob",
          "[solvers][api]") {
  Solver s(regression_solver());
  feed(s, 0);
  s.step(1);
  s.net().blob_by_name("x")->mutable_data()[3] = std::nanf("");
  CHECK_THROWS_WITH(s.step(1), Catch::Contains("iteration 1") && Catch::Contains("'x'"));
}
