#pragma once
// A batch left untransformed, for the transform on the device (the data layers in
// GPU mode). The prefetch thread makes the transformer's checks and random draws
// exactly as the CPU path does (so a GPU run crops and flips the same items as a
// CPU run with the same seed), copies each input's pixels untouched, planar C×H×W,
// into a staging buffer (page-locked host memory from cuda/data/staging.hpp) and
// starts its upload; the device then crops, flips, subtracts the mean and scales.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace caffe {
class Datum;
}
namespace cv {
class Mat;
}

namespace cortado {

class Transformer;
struct DataBatch;

// One input: where its pixels are and how to crop it. Fixed-size fields only: the
// device kernel reads the array as it is.
struct RawItem {
  int64_t offset;         // bytes from the start of the pixels
  int32_t height, width;  // of the input; its channels are the batch's
  int32_t h_off, w_off;   // the crop's top-left corner in the input
  int32_t mirror;         // 1: flip the output horizontally
  int32_t is_float;       // 1: float pixels (a float_data datum), 0: uint8
};

// Host memory for one raw batch and its copy to the device.
class StagingBuffer {
 public:
  virtual ~StagingBuffer() = default;
  // At least `bytes` of host memory; when it moves, its first `keep` bytes go along.
  virtual uint8_t* reserve(size_t bytes, size_t keep) = 0;
  // Starts copying the batch's pixels, items and labels to the device; returns
  // without waiting for the copy.
  virtual void upload(const DataBatch& batch) = 0;
};

#ifdef __CUDACC__
#define CORTADO_HOST_DEVICE __host__ __device__
#else
#define CORTADO_HOST_DEVICE
#endif

// Value i (in N×C×out_height×out_width order) of a raw batch after the transform:
//   (pixel - mean) * scale
// at the item's crop, flipped where drawn, with the mean_file's value at the pixel's
// uncropped position, or the channel's mean_value (one for all channels when there is
// one), or 0: the CPU transformer's arithmetic in its order, so the results are
// equal. The device kernel (cuda/data/transform.cu) computes exactly this; tests
// run it on the host. Output column w comes from input column
// w_off + (mirror ? out_width - 1 - w : w), as the CPU writes column w's value to
// the mirrored place.
CORTADO_HOST_DEVICE inline float raw_output(int64_t i, int channels, int out_height, int out_width,
                                            const uint8_t* pixels, const RawItem* items,
                                            const float* mean_image, const float* mean_values,
                                            int num_mean_values, float scale) {
  const int w = static_cast<int>(i % out_width);
  int64_t rest = i / out_width;
  const int h = static_cast<int>(rest % out_height);
  rest /= out_height;
  const int c = static_cast<int>(rest % channels);
  const RawItem item = items[rest / channels];
  const int x = item.w_off + (item.mirror ? out_width - 1 - w : w);
  const int64_t src = (static_cast<int64_t>(c) * item.height + item.h_off + h) * item.width + x;
  const uint8_t* base = pixels + item.offset;
  float v;
  if (item.is_float) {
#ifdef __CUDA_ARCH__
    v = reinterpret_cast<const float*>(base)[src];  // offsets are 16-byte aligned
#else
    std::memcpy(&v, base + src * static_cast<int64_t>(sizeof(float)), sizeof(float));
#endif
  } else {
    v = static_cast<float>(base[src]);
  }
  float m = 0.f;
  if (mean_image)
    m = mean_image[src];
  else if (num_mean_values > 0)
    m = mean_values[num_mean_values == 1 ? 0 : c];
  return (v - m) * scale;
}

struct RawBatch {
  std::shared_ptr<StagingBuffer> buffer;  // null: the batch is transformed on the host
  std::vector<RawItem> items;
  size_t bytes = 0;  // pixel bytes written so far

  // How many inputs the batch will hold, so the first one reserves room for all.
  void expect(int items_in_batch) { expected_ = items_in_batch; }
  // Appends one input: the transformer's checks and draws, then a copy of the
  // pixels (a datum's bytes or floats as stored; an 8-bit image made planar).
  // An encoded datum must be decoded first.
  void add(Transformer& transformer, const caffe::Datum& datum);
  void add(Transformer& transformer, const cv::Mat& image);

 private:
  // Room for an input of `item_bytes`, aligned for floats; records its offset.
  uint8_t* place(RawItem& item, size_t item_bytes);
  int expected_ = 1;
};

}  // namespace cortado
