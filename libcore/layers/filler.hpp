#pragma once
// Fillers initialise learnable blobs, with Caffe's formulas:
//   constant          value
//   uniform           U(min, max)
//   gaussian          N(mean, std); with sparse >= 0 each weight is kept with
//                     probability sparse / shape(0) (Caffe's sparse init)
//   positive_unitball U(0, 1), each row (axis 0) scaled to sum 1
//   xavier            U(-a, a), a = sqrt(3 / n)
//   msra              N(0, s), s = sqrt(2 / n)
//                     n = fan_in (count / shape(0)), fan_out (count / shape(1))
//                     or their average, by variance_norm
//   bilinear          the upsampling kernel of a 4-d square filter
// Random fillers draw from the seeded global RNG, so a fixed seed gives fixed weights.
namespace caffe {
class FillerParameter;
}

namespace cortado {

class Blob;

// An unknown type or a parameter the type cannot take is an Error.
void fill_blob(const caffe::FillerParameter& param, Blob& blob);

}  // namespace cortado
