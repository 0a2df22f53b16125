#pragma once
// LossParameter's normalization, shared by SoftmaxWithLoss and SigmoidCrossEntropyLoss.
#include "caffe.pb.h"

namespace cortado {

// `normalization` when set; otherwise the legacy `normalize` bool (true: VALID,
// false: BATCH_SIZE); otherwise the layer's own default (VALID for SoftmaxWithLoss,
// BATCH_SIZE for SigmoidCrossEntropyLoss, as in Caffe).
caffe::LossParameter::NormalizationMode resolve_normalization(
    const caffe::LossParameter& param, caffe::LossParameter::NormalizationMode fallback);

// The divisor of the summed loss: FULL outer*inner, VALID the non-ignored count,
// BATCH_SIZE outer, NONE 1; never below 1, so a batch whose labels are all
// ignored gives loss 0 instead of NaN.
float loss_normalizer(caffe::LossParameter::NormalizationMode mode, int outer, int inner,
                      int valid_count);

}  // namespace cortado
