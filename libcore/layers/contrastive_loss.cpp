#include "layers/contrastive_loss.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace cortado {

void ContrastiveLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->num_axes() == 0 || bottom[0]->shape() != bottom[1]->shape())
    throw Error(where(), "features " + bottom[0]->shape_string() + " and " +
                             bottom[1]->shape_string() + " must have the same shape");
  if (bottom[0]->count(2) != 1)
    throw Error(where(), "features " + bottom[0]->shape_string() +
                             " must be N x C (x 1 x 1), one vector per item, as in Caffe");
  const int num = bottom[0]->shape(0);
  if (bottom[2]->count() != num)
    throw Error(where(), "has " + std::to_string(bottom[2]->count()) + " similarity labels (" +
                             bottom[2]->shape_string() + ") for " + std::to_string(num) +
                             " pairs (features " + bottom[0]->shape_string() +
                             "): expected one per pair");
  diff_.reshape_like(*bottom[0]);
  dist_sq_.assign(num, 0.f);
  top[0]->reshape(std::vector<int>{});
}

void ContrastiveLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count(1);
  const float* a = bottom[0]->data();
  const float* b = bottom[1]->data();
  const float* y = bottom[2]->data();
  float* d = diff_.mutable_data();
  const float margin = param_.contrastive_loss_param().margin();
  const bool legacy = param_.contrastive_loss_param().legacy_version();
  float loss = 0.f;
  for (int i = 0; i < num; ++i) {
    float sq = 0.f;
    for (int c = 0; c < dim; ++c) {
      const int k = i * dim + c;
      d[k] = a[k] - b[k];
      sq += d[k] * d[k];
    }
    dist_sq_[i] = sq;
    if (static_cast<int>(y[i]) != 0) {
      loss += sq;
    } else if (legacy) {
      loss += std::max(margin - sq, 0.f);
    } else {
      const float gap = std::max(margin - std::sqrt(sq), 0.f);
      loss += gap * gap;
    }
  }
  top[0]->mutable_data()[0] = loss / static_cast<float>(num) / 2.f;
}

// With alpha = +-w / N (+ for a, - for b): similar pairs alpha (a - b); dissimilar
// pairs inside the margin -alpha (a - b) (legacy), or -alpha (margin - d) / (d + 1e-4)
// (a - b), Caffe's 1e-4 keeping identical pairs finite; outside the margin 0.
// y gets nothing: as in Caffe, a request for its gradient is ignored, not an error.
void ContrastiveLossLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                        const BlobVec& bottom) {
  const int num = bottom[0]->shape(0);
  const int dim = bottom[0]->count(1);
  const float* d = diff_.data();
  const float* y = bottom[2]->data();
  const float margin = param_.contrastive_loss_param().margin();
  const bool legacy = param_.contrastive_loss_param().legacy_version();
  for (int k = 0; k < 2; ++k) {
    if (!propagate_down[k]) continue;
    const float alpha = (k == 0 ? 1.f : -1.f) * top[0]->diff()[0] / static_cast<float>(num);
    float* dx = bottom[k]->mutable_diff();
    for (int i = 0; i < num; ++i) {
      float beta = 0.f;
      if (static_cast<int>(y[i]) != 0) {
        beta = alpha;
      } else if (legacy) {
        if (margin - dist_sq_[i] > 0.f) beta = -alpha;
      } else {
        const float dist = std::sqrt(dist_sq_[i]);
        const float mdist = margin - dist;
        if (mdist > 0.f) beta = -alpha * mdist / (dist + 1e-4f);
      }
      for (int c = 0; c < dim; ++c) dx[i * dim + c] = beta * d[i * dim + c];
    }
  }
}

}  // namespace cortado
