#include "blob/blob.hpp"

#include <climits>
#include <cmath>
#include <sstream>

#include "caffe.pb.h"
#include "util/error.hpp"

namespace cortado {

void Blob::reshape(const std::vector<int>& shape) {
  long long n = 1;
  for (int d : shape) {
    if (d < 0) throw Error("blob dimension " + std::to_string(d) + " is negative");
    n *= d;
    if (n > INT_MAX) throw Error("blob of shape " + cortado::shape_string(shape) + " is too large");
  }
  shape_ = shape;
  count_ = static_cast<int>(n);
  if (static_cast<size_t>(count_) > capacity_ || !data_) {
    capacity_ = static_cast<size_t>(count_);
    data_ = std::make_shared<SyncedMemory>(capacity_ * sizeof(float));
    diff_ = std::make_shared<SyncedMemory>(capacity_ * sizeof(float));
  }
}

void Blob::reshape(const caffe::BlobShape& shape) {
  std::vector<int> s;
  for (auto d : shape.dim()) {
    if (d > INT_MAX || d < 0) throw Error("blob dimension " + std::to_string(d) + " out of range");
    s.push_back(static_cast<int>(d));
  }
  reshape(s);
}

int Blob::count(int start, int end) const {
  CORTADO_ASSERT(start >= 0 && start <= end && end <= num_axes());
  int n = 1;
  for (int i = start; i < end; ++i) n *= shape_[i];
  return n;
}

int Blob::canonical_axis(int axis) const {
  const int n = num_axes();
  if (axis < -n || axis >= n)
    throw Error("axis " + std::to_string(axis) + " is out of range for a blob of shape " +
                shape_string());
  return axis < 0 ? axis + n : axis;
}

int Blob::legacy_shape(int index) const {
  CORTADO_ASSERT(num_axes() <= 4);
  if (index >= num_axes() || index < -num_axes()) return 1;
  return shape(index);
}

std::string shape_string(const std::vector<int>& shape) {
  std::ostringstream s;
  long long n = 1;
  for (int d : shape) {
    s << d << " ";
    n *= d;
  }
  s << "(" << n << ")";
  return s.str();
}

std::string Blob::shape_string() const { return cortado::shape_string(shape_); }

const float* Blob::data() const {
  CORTADO_ASSERT(data_);
  return static_cast<const float*>(data_->host_data());
}
const float* Blob::diff() const {
  CORTADO_ASSERT(diff_);
  return static_cast<const float*>(diff_->host_data());
}
float* Blob::mutable_data() {
  CORTADO_ASSERT(data_);
  return static_cast<float*>(data_->mutable_host_data());
}
float* Blob::mutable_diff() {
  CORTADO_ASSERT(diff_);
  return static_cast<float*>(diff_->mutable_host_data());
}
const float* Blob::gpu_data() const {
  CORTADO_ASSERT(data_);
  return static_cast<const float*>(data_->device_data());
}
const float* Blob::gpu_diff() const {
  CORTADO_ASSERT(diff_);
  return static_cast<const float*>(diff_->device_data());
}
float* Blob::mutable_gpu_data() {
  CORTADO_ASSERT(data_);
  return static_cast<float*>(data_->mutable_device_data());
}
float* Blob::mutable_gpu_diff() {
  CORTADO_ASSERT(diff_);
  return static_cast<float*>(diff_->mutable_device_data());
}

void Blob::share_data(const Blob& other) {
  CORTADO_ASSERT(count_ == other.count_);
  data_ = other.data_;
}
void Blob::share_diff(const Blob& other) {
  CORTADO_ASSERT(count_ == other.count_);
  diff_ = other.diff_;
}

void Blob::update() {
  float* d = mutable_data();
  const float* g = diff();
  for (int i = 0; i < count_; ++i) d[i] -= g[i];
}

namespace {
float asum(const float* p, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += std::fabs(p[i]);
  return static_cast<float>(s);
}
float sumsq(const float* p, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += double(p[i]) * p[i];
  return static_cast<float>(s);
}
}  // namespace

float Blob::asum_data() const { return count_ ? asum(data(), count_) : 0.f; }
float Blob::asum_diff() const { return count_ ? asum(diff(), count_) : 0.f; }
float Blob::sumsq_data() const { return count_ ? sumsq(data(), count_) : 0.f; }
float Blob::sumsq_diff() const { return count_ ? sumsq(diff(), count_) : 0.f; }
void Blob::scale_data(float s) {
  float* p = mutable_data();
  for (int i = 0; i < count_; ++i) p[i] *= s;
}
void Blob::scale_diff(float s) {
  float* p = mutable_diff();
  for (int i = 0; i < count_; ++i) p[i] *= s;
}
void Blob::set_data(float v) {
  float* p = mutable_data();
  for (int i = 0; i < count_; ++i) p[i] = v;
}
void Blob::set_diff(float v) {
  float* p = mutable_diff();
  for (int i = 0; i < count_; ++i) p[i] = v;
}

std::vector<int> proto_shape(const caffe::BlobProto& proto) {
  std::vector<int> s;
  if (proto.has_num() || proto.has_channels() || proto.has_height() || proto.has_width()) {
    s = {proto.num(), proto.channels(), proto.height(), proto.width()};
  } else {
    for (auto d : proto.shape().dim()) s.push_back(static_cast<int>(d));
  }
  return s;
}

bool Blob::shape_equals(const caffe::BlobProto& proto) const {
  if (proto.has_num() || proto.has_channels() || proto.has_height() || proto.has_width()) {
    // Legacy dims: the blob may have at most 4 axes, and the missing leading
    // ones must be 1 in the proto.
    if (num_axes() > 4) return false;
    return legacy_shape(-4) == proto.num() && legacy_shape(-3) == proto.channels() &&
           legacy_shape(-2) == proto.height() && legacy_shape(-1) == proto.width();
  }
  if (proto.shape().dim_size() != num_axes()) return false;
  for (int i = 0; i < num_axes(); ++i)
    if (proto.shape().dim(i) != shape_[i]) return false;
  return true;
}

void Blob::from_proto(const caffe::BlobProto& proto, bool reshape_blob) {
  if (reshape_blob) {
    reshape(proto_shape(proto));
  } else {
    CORTADO_ASSERT(shape_equals(proto));
  }
  float* d = mutable_data();
  if (proto.double_data_size() > 0) {
    if (proto.double_data_size() != count_)
      throw Error("blob holds " + std::to_string(proto.double_data_size()) +
                  " values, its shape needs " + std::to_string(count_));
    for (int i = 0; i < count_; ++i) d[i] = static_cast<float>(proto.double_data(i));
  } else {
    if (proto.data_size() != count_)
      throw Error("blob holds " + std::to_string(proto.data_size()) + " values, its shape needs " +
                  std::to_string(count_));
    for (int i = 0; i < count_; ++i) d[i] = proto.data(i);
  }
  if (proto.diff_size() == count_) {
    float* g = mutable_diff();
    for (int i = 0; i < count_; ++i) g[i] = proto.diff(i);
  } else if (proto.double_diff_size() == count_) {
    float* g = mutable_diff();
    for (int i = 0; i < count_; ++i) g[i] = static_cast<float>(proto.double_diff(i));
  }
}

void Blob::to_proto(caffe::BlobProto* proto, bool write_diff) const {
  proto->Clear();
  for (int d : shape_) proto->mutable_shape()->add_dim(d);
  const float* d = data();
  proto->mutable_data()->Reserve(count_);
  for (int i = 0; i < count_; ++i) proto->add_data(d[i]);
  if (write_diff) {
    const float* g = diff();
    proto->mutable_diff()->Reserve(count_);
    for (int i = 0; i < count_; ++i) proto->add_diff(g[i]);
  }
}

}  // namespace cortado
