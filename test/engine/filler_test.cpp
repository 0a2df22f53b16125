#include <catch2/catch.hpp>

#include <cmath>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "layers/filler.hpp"
#include "util/error.hpp"
#include "util/rng.hpp"

using namespace cortado;

namespace {

caffe::FillerParameter filler(const std::string& type) {
  caffe::FillerParameter p;
  p.set_type(type);
  return p;
}

struct Stats {
  double mean = 0, var = 0, min = 1e30, max = -1e30;
  int zeros = 0;
};

Stats stats(const Blob& b) {
  Stats s;
  const float* d = b.data();
  for (int i = 0; i < b.count(); ++i) {
    s.mean += d[i];
    s.min = std::min<double>(s.min, d[i]);
    s.max = std::max<double>(s.max, d[i]);
    if (d[i] == 0.f) ++s.zeros;
  }
  s.mean /= b.count();
  for (int i = 0; i < b.count(); ++i) s.var += (d[i] - s.mean) * (d[i] - s.mean);
  s.var /= b.count();
  return s;
}

}  // namespace

TEST_CASE("constant filler sets every value", "[engine][filler]") {
  Blob b({2, 3, 4, 5});
  auto p = filler("constant");
  p.set_value(0.25f);
  fill_blob(p, b);
  const Stats s = stats(b);
  CHECK(s.min == 0.25);
  CHECK(s.max == 0.25);
}

TEST_CASE("uniform filler stays in [min, max] with the right mean", "[engine][filler]") {
  seed_global_rng(1701);
  Blob b({100, 100});
  auto p = filler("uniform");
  p.set_min(-2.f);
  p.set_max(3.f);
  fill_blob(p, b);
  const Stats s = stats(b);
  CHECK(s.min >= -2.0);
  CHECK(s.max <= 3.0);
  CHECK(s.mean == Approx(0.5).margin(0.05));
  CHECK(s.var == Approx(25.0 / 12).epsilon(0.03));
}

TEST_CASE("gaussian filler has the asked mean and std", "[engine][filler]") {
  seed_global_rng(1701);
  Blob b({200, 100});
  auto p = filler("gaussian");
  p.set_mean(1.f);
  p.set_std(0.5f);
  fill_blob(p, b);
  const Stats s = stats(b);
  CHECK(s.mean == Approx(1.0).margin(0.01));
  CHECK(std::sqrt(s.var) == Approx(0.5).epsilon(0.02));
}

TEST_CASE("sparse gaussian filler keeps sparse/num_outputs of the weights", "[engine][filler]") {
  seed_global_rng(1701);
  Blob b({40, 500});  // 40 outputs, sparse 10: a quarter kept
  auto p = filler("gaussian");
  p.set_sparse(10);
  fill_blob(p, b);
  const Stats s = stats(b);
  CHECK(static_cast<double>(s.zeros) / b.count() == Approx(0.75).margin(0.02));
}

TEST_CASE("positive_unitball filler rows sum to one", "[engine][filler]") {
  seed_global_rng(1701);
  Blob b({5, 3, 4, 2});
  fill_blob(filler("positive_unitball"), b);
  for (int n = 0; n < 5; ++n) {
    double sum = 0;
    for (int i = 0; i < 24; ++i) {
      const float v = b.data()[n * 24 + i];
      CHECK(v >= 0.f);
      sum += v;
    }
    CHECK(sum == Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("xavier filler scales by fan in, fan out or their average", "[engine][filler]") {
  // (num, channels, h, w) = (64, 32, 3, 3): fan_in 288, fan_out 576.
  struct Case {
    caffe::FillerParameter::VarianceNorm norm;
    double n;
  };
  for (const Case c : {Case{caffe::FillerParameter::FAN_IN, 288.0},
                       Case{caffe::FillerParameter::FAN_OUT, 576.0},
                       Case{caffe::FillerParameter::AVERAGE, 432.0}}) {
    seed_global_rng(1701);
    Blob b({64, 32, 3, 3});
    auto p = filler("xavier");
    p.set_variance_norm(c.norm);
    fill_blob(p, b);
    const Stats s = stats(b);
    const double a = std::sqrt(3.0 / c.n);
    CHECK(s.max <= a);
    CHECK(s.min >= -a);
    CHECK(s.var == Approx(a * a / 3).epsilon(0.05));  // U(-a, a) has variance a^2/3 = 1/n
  }
}

TEST_CASE("msra filler has std sqrt(2/n)", "[engine][filler]") {
  struct Case {
    caffe::FillerParameter::VarianceNorm norm;
    double n;
  };
  for (const Case c : {Case{caffe::FillerParameter::FAN_IN, 288.0},
                       Case{caffe::FillerParameter::FAN_OUT, 576.0},
                       Case{caffe::FillerParameter::AVERAGE, 432.0}}) {
    seed_global_rng(1701);
    Blob b({64, 32, 3, 3});
    auto p = filler("msra");
    p.set_variance_norm(c.norm);
    fill_blob(p, b);
    const Stats s = stats(b);
    CHECK(s.mean == Approx(0.0).margin(0.005));
    CHECK(s.var == Approx(2.0 / c.n).epsilon(0.05));
  }
}

TEST_CASE("bilinear filler gives the upsampling kernel", "[engine][filler]") {
  // Kernel 4 (upsampling by 2): f = 2, c = 0.75, 1-D weights 0.25 0.75 0.75 0.25.
  Blob b({1, 1, 4, 4});
  fill_blob(filler("bilinear"), b);
  const float w[4] = {0.25f, 0.75f, 0.75f, 0.25f};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) CHECK(b.data()[y * 4 + x] == Approx(w[y] * w[x]));
  // Kernel 3: f = 2, c = 0.5, 1-D weights 0.5 1 0.5.
  Blob c({2, 1, 3, 3});
  fill_blob(filler("bilinear"), c);
  CHECK(c.data()[4] == Approx(1.f));
  CHECK(c.data()[0] == Approx(0.25f));
  CHECK(c.data()[9 + 1] == Approx(0.5f));
}

TEST_CASE("random fillers repeat with the same seed", "[engine][filler]") {
  Blob a({10, 10}), b({10, 10});
  seed_global_rng(42);
  fill_blob(filler("xavier"), a);
  seed_global_rng(42);
  fill_blob(filler("xavier"), b);
  for (int i = 0; i < 100; ++i) REQUIRE(a.data()[i] == b.data()[i]);
}

TEST_CASE("filler errors: unknown type, sparse on a dense-only filler", "[engine][filler]") {
  Blob b({2, 2});
  CHECK_THROWS_WITH(fill_blob(filler("glorot"), b), Catch::Contains("unknown filler type 'glorot'"));
  auto p = filler("xavier");
  p.set_sparse(3);
  CHECK_THROWS_AS(fill_blob(p, b), Error);
  Blob flat({2, 3, 4});
  CHECK_THROWS_WITH(fill_blob(filler("bilinear"), flat), Catch::Contains("4-d"));
}
