#pragma once
// An N-d array of floats with a `data` part (values) and a `diff` part
// (gradients), as Caffe's Blob. Shapes are row-major; axis 0 is the batch.
#include <memory>
#include <string>
#include <vector>

#include "blob/synced_memory.hpp"

namespace caffe {
class BlobProto;
class BlobShape;
}  // namespace caffe

namespace cortado {

class Blob {
 public:
  Blob() = default;
  explicit Blob(const std::vector<int>& shape) { reshape(shape); }

  // Memory is reallocated only when the new count exceeds the capacity.
  void reshape(const std::vector<int>& shape);
  void reshape(const caffe::BlobShape& shape);
  void reshape_like(const Blob& other) { reshape(other.shape()); }

  const std::vector<int>& shape() const { return shape_; }
  int shape(int axis) const { return shape_[canonical_axis(axis)]; }
  int num_axes() const { return static_cast<int>(shape_.size()); }
  int count() const { return count_; }
  // Product of dimensions in [start, end).
  int count(int start, int end) const;
  int count(int start) const { return count(start, num_axes()); }
  // Negative axes count from the end; out of range is an internal error.
  int canonical_axis(int axis) const;
  // Caffe's legacy 4-d view: missing leading axes read as 1.
  int legacy_shape(int index) const;
  int num() const { return legacy_shape(0); }
  int channels() const { return legacy_shape(1); }
  int height() const { return legacy_shape(2); }
  int width() const { return legacy_shape(3); }
  int offset(int n, int c = 0, int h = 0, int w = 0) const {
    return ((n * channels() + c) * height() + h) * width() + w;
  }
  std::string shape_string() const;  // "64 1 28 28 (50176)"

  const float* data() const;
  const float* diff() const;
  float* mutable_data();
  float* mutable_diff();
  const float* gpu_data() const;
  const float* gpu_diff() const;
  float* mutable_gpu_data();
  float* mutable_gpu_diff();

  // Point this blob's data/diff at another's (same count), as in-place and shared params do.
  void share_data(const Blob& other);
  void share_diff(const Blob& other);

  // data -= diff.
  void update();
  float asum_data() const;
  float asum_diff() const;
  float sumsq_data() const;
  float sumsq_diff() const;
  void scale_data(float s);
  void scale_diff(float s);
  void set_data(float v);
  void set_diff(float v);

  // Shape match that accepts Caffe's legacy num/channels/height/width dims,
  // as old caffemodels store them (a bias (1,1,1,32) matches a blob of shape (32)).
  bool shape_equals(const caffe::BlobProto& proto) const;
  // Copies values (and diff if present); reshapes when `reshape` is true,
  // otherwise a mismatched shape is an internal error (callers check first).
  void from_proto(const caffe::BlobProto& proto, bool reshape = true);
  void to_proto(caffe::BlobProto* proto, bool write_diff = false) const;

 private:
  std::vector<int> shape_;
  int count_ = 0;
  size_t capacity_ = 0;
  std::shared_ptr<SyncedMemory> data_, diff_;
};

// Shape of a BlobProto as a vector, from `shape.dim` or the legacy fields.
std::vector<int> proto_shape(const caffe::BlobProto& proto);
std::string shape_string(const std::vector<int>& shape);

}  // namespace cortado
