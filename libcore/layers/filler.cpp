#include "layers/filler.hpp"

#include <cmath>
#include <random>
#include <string>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "util/error.hpp"
#include "util/rng.hpp"

namespace cortado {
namespace {

const char* kWhere = "filler";

void require_dense(const caffe::FillerParameter& p) {
  if (p.sparse() != -1)
    throw Error(kWhere, "sparsity is supported by the gaussian filler only, not '" + p.type() + "'");
}

void fill_uniform(Blob& blob, float lo, float hi) {
  if (!(lo <= hi))
    throw Error(kWhere, "uniform filler needs min <= max, got min " + std::to_string(lo) +
                            " and max " + std::to_string(hi));
  std::uniform_real_distribution<float> dist(lo, hi);
  float* d = blob.mutable_data();
  for (int i = 0; i < blob.count(); ++i) d[i] = dist(global_rng());
}

void fill_gaussian(Blob& blob, float mean, float stddev) {
  if (!(stddev > 0.f)) {
    // std 0 is a constant; normal_distribution rejects it.
    blob.set_data(mean);
    return;
  }
  std::normal_distribution<float> dist(mean, stddev);
  float* d = blob.mutable_data();
  for (int i = 0; i < blob.count(); ++i) d[i] = dist(global_rng());
}

// Keeps each weight with probability sparse / num_outputs, zeroes the rest.
void apply_sparsity(Blob& blob, int sparse) {
  if (sparse < -1) throw Error(kWhere, "sparse must be -1 (dense) or >= 0");
  if (sparse < 0) return;
  if (blob.num_axes() < 1) throw Error(kWhere, "sparse gaussian needs a blob with an axis");
  const double p = std::min(1.0, static_cast<double>(sparse) / blob.shape(0));
  std::bernoulli_distribution keep(p);
  float* d = blob.mutable_data();
  for (int i = 0; i < blob.count(); ++i)
    if (!keep(global_rng())) d[i] = 0.f;
}

// n for xavier / msra: fan in, fan out or their average. A 1-axis blob counts
// itself as its fan out, as Caffe does.
float fan(const caffe::FillerParameter& p, const Blob& blob) {
  if (blob.count() == 0 || blob.num_axes() < 1)
    throw Error(kWhere, p.type() + " filler needs a non-empty blob");
  const float fan_in = static_cast<float>(blob.count() / blob.shape(0));
  const float fan_out =
      static_cast<float>(blob.num_axes() > 1 ? blob.count() / blob.shape(1) : blob.count());
  switch (p.variance_norm()) {
    case caffe::FillerParameter::AVERAGE: return (fan_in + fan_out) / 2.f;
    case caffe::FillerParameter::FAN_OUT: return fan_out;
    default: return fan_in;
  }
}

void fill_positive_unitball(Blob& blob) {
  fill_uniform(blob, 0.f, 1.f);
  const int num = blob.num_axes() > 0 ? blob.shape(0) : 1;
  if (num == 0 || blob.count() == 0) return;
  const int dim = blob.count() / num;
  float* d = blob.mutable_data();
  for (int i = 0; i < num; ++i) {
    float sum = 0.f;
    for (int j = 0; j < dim; ++j) sum += d[i * dim + j];
    for (int j = 0; j < dim; ++j) d[i * dim + j] /= sum;
  }
}

// Weights that make a Deconvolution layer upsample bilinearly.
void fill_bilinear(Blob& blob) {
  if (blob.num_axes() != 4) throw Error(kWhere, "bilinear filler needs a 4-d blob, got " +
                                                    blob.shape_string());
  const int w = blob.shape(3), h = blob.shape(2);
  if (w != h) throw Error(kWhere, "bilinear filler needs a square filter, got " +
                                      blob.shape_string());
  const int f = static_cast<int>(std::ceil(w / 2.0));
  const float c = static_cast<float>((w - 1) / (2.0 * f));
  float* d = blob.mutable_data();
  for (int i = 0; i < blob.count(); ++i) {
    const float x = static_cast<float>(i % w);
    const float y = static_cast<float>((i / w) % h);
    d[i] = (1.f - std::fabs(x / f - c)) * (1.f - std::fabs(y / f - c));
  }
}

}  // namespace

void fill_blob(const caffe::FillerParameter& p, Blob& blob) {
  const std::string& type = p.type();
  if (type == "constant") {
    require_dense(p);
    blob.set_data(p.value());
  } else if (type == "uniform") {
    require_dense(p);
    fill_uniform(blob, p.min(), p.max());
  } else if (type == "gaussian") {
    fill_gaussian(blob, p.mean(), p.std());
    apply_sparsity(blob, p.sparse());
  } else if (type == "positive_unitball") {
    require_dense(p);
    fill_positive_unitball(blob);
  } else if (type == "xavier") {
    require_dense(p);
    const float a = std::sqrt(3.f / fan(p, blob));
    fill_uniform(blob, -a, a);
  } else if (type == "msra") {
    require_dense(p);
    fill_gaussian(blob, 0.f, std::sqrt(2.f / fan(p, blob)));
  } else if (type == "bilinear") {
    require_dense(p);
    fill_bilinear(blob);
  } else {
    throw Error(kWhere, "unknown filler type '" + type +
                            "' (known: constant, uniform, gaussian, positive_unitball, xavier, "
                            "msra, bilinear)");
  }
}

}  // namespace cortado
