#pragma once
// The device half of the transformer (libcore/data/transformer.hpp), on raw batches
// (libcore/data/raw_batch.hpp): for each item, its crop (flipped where drawn) of
//   out[n][c][h][w] = (pixel - mean) * scale
// with the mean_file's value at the pixel's uncropped position, or the channel's
// mean_value, or 0: the CPU's arithmetic in the CPU's order, so the results are equal.
#include <cuda_runtime_api.h>

#include "data/raw_batch.hpp"

namespace cortado {
class Transformer;
}

namespace cortado::gpu {

class DeviceTransform {
 public:
  // Copies the transformer's mean to the device (once; it never changes).
  explicit DeviceTransform(const Transformer& transformer);
  ~DeviceTransform();
  DeviceTransform(const DeviceTransform&) = delete;
  DeviceTransform& operator=(const DeviceTransform&) = delete;

  // Writes num × channels × out_height × out_width floats to `out` on `stream`, and
  // the num labels from labels_in to labels_out unless that is null. `pixels`,
  // `items` and the labels are on the device, laid out as RawBatch says.
  void run(const uint8_t* pixels, const RawItem* items, int num, int channels, int out_height,
           int out_width, float* out, const float* labels_in, float* labels_out,
           cudaStream_t stream) const;

 private:
  float scale_;
  float* mean_image_ = nullptr;   // C×H×W, or null
  float* mean_values_ = nullptr;  // num_mean_values_ of them, or null
  int num_mean_values_ = 0;
};

}  // namespace cortado::gpu
