#include "data/mean.hpp"

#include <cstdint>
#include <cstdio>
#include <opencv2/core.hpp>

#include "caffe.pb.h"
#include "data/datum_image.hpp"
#include "data/datum_view.hpp"
#include "db/lmdb.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"

namespace cortado {
namespace {

std::string shape_text(int c, int h, int w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

// Sums of every pixel position. uint8 pixels go into 32-bit integers (exact, and
// what Caffe's float sums hold exactly below 2^24), moved into 64-bit totals before
// they could overflow; float datums go into doubles.
class PixelSums {
 public:
  explicit PixelSums(size_t n) : small_(n, 0), total_(n, 0), floats_(n, 0.0) {}
  void add(const uint8_t* px) {
    uint32_t* acc = small_.data();
    const size_t n = small_.size();
#pragma omp simd
    for (size_t i = 0; i < n; ++i) acc[i] += px[i];
    if (++pending_ == kFlushEvery) flush();
  }
  void add(const std::vector<float>& px) {
    for (size_t i = 0; i < px.size(); ++i) floats_[i] += px[i];
  }
  std::vector<float> mean(size_t count) {
    flush();
    std::vector<float> out(total_.size());
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<float>(static_cast<double>(total_[i]) + floats_[i]) /
               static_cast<float>(count);
    return out;
  }

 private:
  static constexpr size_t kFlushEvery = (size_t(1) << 32) / 256 - 1;
  void flush() {
    for (size_t i = 0; i < small_.size(); ++i) total_[i] += small_[i];
    std::fill(small_.begin(), small_.end(), 0u);
    pending_ = 0;
  }
  std::vector<uint32_t> small_;
  std::vector<uint64_t> total_;
  std::vector<double> floats_;
  size_t pending_ = 0;
};

// Encoded datums are decoded as stored (Caffe's DecodeDatumNative) into `chw`.
void decode_to_view(DatumView& d, std::string& chw, const std::string& where) {
  caffe::Datum datum;
  datum.set_data(d.data.data(), d.data.size());
  datum.set_encoded(true);
  const cv::Mat img = datum_to_mat(datum, where);
  if (img.depth() != CV_8U) throw Error(where, "decodes to a non-8-bit image, expected 8-bit pixels");
  caffe::Datum raw;
  mat_to_datum(img, raw);
  chw = raw.data();
  d.channels = raw.channels();
  d.height = raw.height();
  d.width = raw.width();
  d.data = chw;
}

}  // namespace

MeanImage compute_mean(const std::string& db_path) {
  LmdbReader db(db_path);
  if (!db.seek_first()) throw Error(db_path, "the database is empty, expected images");
  MeanImage mean;
  DatumView d;
  std::string decoded;
  std::unique_ptr<PixelSums> sums;
  size_t size = 0;
  LOG_INFO("Starting iteration");
  do {
    const std::string where = db_path + ": key '" + std::string(db.key()) + "'";
    if (!parse_datum_view(db.value(), d)) throw Error(where, "not a Datum (corrupted value)");
    if (d.encoded) decode_to_view(d, decoded, where);
    if (!sums) {
      if (d.encoded) LOG_INFO("Decoding Datum");
      mean.channels = d.channels;
      mean.height = d.height;
      mean.width = d.width;
      size = static_cast<size_t>(d.channels) * d.height * d.width;
      if (d.channels <= 0 || d.height <= 0 || d.width <= 0)
        throw Error(where, "bad image shape " + shape_text(d.channels, d.height, d.width));
      sums = std::make_unique<PixelSums>(size);
    }
    if (d.channels != mean.channels || d.height != mean.height || d.width != mean.width)
      throw Error(where, "image is " + shape_text(d.channels, d.height, d.width) + ", expected " +
                             shape_text(mean.channels, mean.height, mean.width) +
                             " like the first entry (all images must have one size)");
    if (d.data.size() == size) {
      sums->add(reinterpret_cast<const uint8_t*>(d.data.data()));
    } else if (d.data.empty() && d.float_data.size() == size) {
      sums->add(d.float_data);
    } else {
      throw Error(where, "holds " + std::to_string(std::max(d.data.size(), d.float_data.size())) +
                             " values, expected " + std::to_string(size) + " for its shape " +
                             shape_text(d.channels, d.height, d.width));
    }
    if (++mean.count % 10000 == 0) LOG_INFO("Processed {} files.", mean.count);
  } while (db.next());
  if (mean.count % 10000 != 0) LOG_INFO("Processed {} files.", mean.count);
  mean.data = sums->mean(mean.count);
  return mean;
}

void mean_to_blobproto(const MeanImage& mean, caffe::BlobProto& blob) {
  blob.Clear();
  blob.set_num(1);
  blob.set_channels(mean.channels);
  blob.set_height(mean.height);
  blob.set_width(mean.width);
  blob.mutable_data()->Add(mean.data.begin(), mean.data.end());
}

MeanImage read_mean_binaryproto(const std::string& path) {
  caffe::BlobProto blob;
  read_binary_proto(path, blob);
  std::vector<int64_t> dims;
  if (blob.has_shape()) {
    dims.assign(blob.shape().dim().begin(), blob.shape().dim().end());
  } else if (blob.has_num() || blob.has_channels() || blob.has_height() || blob.has_width()) {
    dims = {blob.num(), blob.channels(), blob.height(), blob.width()};
  }
  if (dims.size() == 4 && dims[0] == 1) dims.erase(dims.begin());
  if (dims.size() != 3 || dims[0] <= 0 || dims[1] <= 0 || dims[2] <= 0 || dims[0] > 4096)
    throw Error(path, "not a mean image (expected a BlobProto of shape 1xCxHxW)");
  MeanImage mean;
  mean.channels = static_cast<int>(dims[0]);
  mean.height = static_cast<int>(dims[1]);
  mean.width = static_cast<int>(dims[2]);
  const size_t n = static_cast<size_t>(dims[0] * dims[1] * dims[2]);
  if (static_cast<size_t>(blob.data_size()) == n) {
    mean.data.assign(blob.data().begin(), blob.data().end());
  } else if (static_cast<size_t>(blob.double_data_size()) == n) {
    mean.data.assign(blob.double_data().begin(), blob.double_data().end());
  } else {
    throw Error(path, "holds " + std::to_string(std::max(blob.data_size(), blob.double_data_size())) +
                          " values, expected " + std::to_string(n) + " for its shape " +
                          shape_text(mean.channels, mean.height, mean.width));
  }
  return mean;
}

std::vector<float> channel_means(const MeanImage& mean) {
  const size_t dim = static_cast<size_t>(mean.height) * mean.width;
  std::vector<float> out(mean.channels, 0.0f);
  for (int c = 0; c < mean.channels; ++c) {
    for (size_t i = 0; i < dim; ++i) out[c] += mean.data[c * dim + i];
    out[c] /= static_cast<float>(dim);
  }
  return out;
}

std::string format_float6(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

}  // namespace cortado
