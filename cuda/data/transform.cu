#include <algorithm>
#include <vector>

#include "blob/device_memory.hpp"
#include "cuda/data/transform.hpp"
#include "cuda/util/chained.cuh"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "data/transformer.hpp"

namespace cortado::gpu {
namespace {

// One thread per output value; raw_output (libcore/data/raw_batch.hpp) is the formula.
// The first `num` threads also copy the labels (one launch, not a launch and a copy).
__global__ void transform_kernel(int64_t n, int channels, int out_height, int out_width,
                                 const uint8_t* pixels, const RawItem* items,
                                 const float* mean_image, const float* mean_values,
                                 int num_mean_values, float scale, float* out, int num,
                                 const float* labels_in, float* labels_out) {
  chain_wait();
  const int64_t count = n > num ? n : num;
  CORTADO_KERNEL_LOOP(i, count) {
    if (i < n)
      out[i] = raw_output(i, channels, out_height, out_width, pixels, items, mean_image,
                          mean_values, num_mean_values, scale);
    if (labels_out && i < num) labels_out[i] = labels_in[i];
  }
}

float* upload(const std::vector<float>& values) {
  if (values.empty()) return nullptr;
  const size_t bytes = values.size() * sizeof(float);
  void* p = device_malloc(bytes);
  device::copy_to_device(p, values.data(), bytes);  // waits: done once
  return static_cast<float*>(p);
}

}  // namespace

DeviceTransform::DeviceTransform(const Transformer& transformer) : scale_(transformer.scale()) {
  Context::get();
  mean_image_ = upload(transformer.mean_image());
  try {
    mean_values_ = upload(transformer.mean_values());
  } catch (...) {
    device::free(mean_image_);
    throw;
  }
  num_mean_values_ = static_cast<int>(transformer.mean_values().size());
}

DeviceTransform::~DeviceTransform() {
  device::free(mean_image_);
  device::free(mean_values_);
}

void DeviceTransform::run(const uint8_t* pixels, const RawItem* items, int num, int channels,
                          int out_height, int out_width, float* out, const float* labels_in,
                          float* labels_out, cudaStream_t stream) const {
  const int64_t n = static_cast<int64_t>(num) * channels * out_height * out_width;
  const int64_t threads = std::max<int64_t>(n, labels_out ? num : 0);
  if (threads <= 0) return;
  launch("data transform", transform_kernel, blocks_for(threads), kThreads, stream, n, channels,
         out_height, out_width, pixels, items, mean_image_, mean_values_, num_mean_values_, scale_,
         out, num, labels_in, labels_out);
}

}  // namespace cortado::gpu
