#include "layers/loss_normalization.hpp"

#include <algorithm>

namespace cortado {

caffe::LossParameter::NormalizationMode resolve_normalization(
    const caffe::LossParameter& param, caffe::LossParameter::NormalizationMode fallback) {
  if (param.has_normalization()) return param.normalization();
  if (param.has_normalize())
    return param.normalize() ? caffe::LossParameter::VALID : caffe::LossParameter::BATCH_SIZE;
  return fallback;
}

float loss_normalizer(caffe::LossParameter::NormalizationMode mode, int outer, int inner,
                      int valid_count) {
  float n = 1.f;
  switch (mode) {
    case caffe::LossParameter::FULL:
      n = static_cast<float>(outer) * inner;
      break;
    case caffe::LossParameter::VALID:
      n = static_cast<float>(valid_count);
      break;
    case caffe::LossParameter::BATCH_SIZE:
      n = static_cast<float>(outer);
      break;
    case caffe::LossParameter::NONE:
      n = 1.f;
      break;
    default:
      n = 1.f;
  }
  return std::max(1.f, n);
}

}  // namespace cortado
