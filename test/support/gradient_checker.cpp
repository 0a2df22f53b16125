#include "support/gradient_checker.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "net/net.hpp"

namespace cortado::test {

void fill_gaussian(Blob& b, float mean, float stddev, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  float* p = b.mutable_data();
  for (int i = 0; i < b.count(); ++i) p[i] = dist(rng);
}

void fill_uniform(Blob& b, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = b.mutable_data();
  for (int i = 0; i < b.count(); ++i) p[i] = dist(rng);
}

void check_net_gradients(Net& net) {
  net.clear_param_diffs();
  net.forward_backward();
  for (Blob* p : net.learnable_params()) {
    const std::vector<float> analytic(p->diff(), p->diff() + p->count());
    for (int i = 0; i < p->count(); ++i) {
      const float saved = p->data()[i];
      p->mutable_data()[i] = saved + 1e-2f;
      const double up = net.forward();
      p->mutable_data()[i] = saved - 1e-2f;
      const double down = net.forward();
      p->mutable_data()[i] = saved;
      const double numeric = (up - down) / 2e-2;
      const double scale = std::max({std::fabs(numeric), std::fabs(double(analytic[i])), 1.0});
      INFO("learnable value " << i << " of " << p->count() << ": analytic " << analytic[i]
                              << ", numeric " << numeric);
      CHECK(std::fabs(numeric - analytic[i]) / scale < 1e-3);
    }
  }
}

namespace {

struct Objective {
  std::vector<std::vector<float>> weights;  // one per top

  Objective(const BlobVec& top, unsigned seed) {
    std::mt19937 rng(seed + 17);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (Blob* t : top) {
      std::vector<float> w(t->count());
      for (float& x : w) x = dist(rng);
      weights.push_back(std::move(w));
    }
  }
  double value(const BlobVec& top) const {
    double s = 0;
    for (size_t k = 0; k < top.size(); ++k) {
      const float* d = top[k]->data();
      for (int i = 0; i < top[k]->count(); ++i) s += double(weights[k][i]) * d[i];
    }
    return s;
  }
  void seed_diffs(const BlobVec& top) const {
    for (size_t k = 0; k < top.size(); ++k) {
      float* g = top[k]->mutable_diff();
      std::copy(weights[k].begin(), weights[k].end(), g);
    }
  }
};

void check_blob(Layer& layer, const BlobVec& bottom, const BlobVec& top, Blob& target,
                const std::vector<float>& analytic, const Objective& obj, const GradCheck& o,
                const char* what, int index) {
  float* x = target.mutable_data();
  for (int i = 0; i < target.count(); ++i) {
    const float orig = x[i];
    if (o.kink_range > 0 && std::fabs(orig - o.kink) < o.kink_range) continue;
    target.mutable_data()[i] = orig + o.step;
    layer.forward(bottom, top);
    const double plus = obj.value(top);
    target.mutable_data()[i] = orig - o.step;
    layer.forward(bottom, top);
    const double minus = obj.value(top);
    target.mutable_data()[i] = orig;
    const double numeric = (plus - minus) / (2.0 * o.step);
    const double a = analytic[i];
    const double scale = std::max({std::fabs(a), std::fabs(numeric), 1.0});
    if (std::fabs(a - numeric) > o.threshold * scale) {
      INFO(layer.type() << " " << what << " " << index << " element " << i << ": analytic " << a
                        << " numeric " << numeric);
      CHECK(std::fabs(a - numeric) <= o.threshold * scale);
    }
    x = target.mutable_data();
  }
}

}  // namespace

void check_gradients(Layer& layer, const BlobVec& bottom, const BlobVec& top, const GradCheck& o) {
  Objective obj(top, o.seed);
  std::vector<int> which = o.bottoms;
  if (which.empty() && o.check_bottoms)
    for (size_t i = 0; i < bottom.size(); ++i) which.push_back(static_cast<int>(i));

  // Analytic gradients at the unperturbed point.
  layer.forward(bottom, top);
  for (auto& p : layer.blobs()) p->set_diff(0.f);
  for (Blob* b : bottom) b->set_diff(0.f);
  obj.seed_diffs(top);
  std::vector<bool> down(bottom.size(), false);
  for (int i : which) down[i] = true;
  layer.backward(top, down, bottom);

  std::vector<std::vector<float>> bottom_grads, param_grads;
  for (int i : which)
    bottom_grads.emplace_back(bottom[i]->diff(), bottom[i]->diff() + bottom[i]->count());
  for (auto& p : layer.blobs()) param_grads.emplace_back(p->diff(), p->diff() + p->count());

  for (size_t k = 0; k < which.size(); ++k)
    check_blob(layer, bottom, top, *bottom[which[k]], bottom_grads[k], obj, o, "bottom", which[k]);
  if (o.check_params)
    for (size_t k = 0; k < layer.blobs().size(); ++k)
      check_blob(layer, bottom, top, *layer.blobs()[k], param_grads[k], obj, o, "param",
                 static_cast<int>(k));
}

}  // namespace cortado::test
