#include "data/transformer.hpp"

#include <algorithm>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "blob/blob.hpp"
#include "caffe.pb.h"
#include "data/datum_image.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/proto_io.hpp"

namespace cortado {

namespace {

std::string dims(int c, int h, int w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

}  // namespace

Transformer::Transformer(const caffe::TransformationParameter& param, caffe::Phase phase,
                         std::string where)
    : param_(std::make_unique<caffe::TransformationParameter>(param)),
      phase_(phase),
      where_(std::move(where)) {
  if (param.force_color() && param.force_gray())
    throw Error(where_, "transform_param sets both force_color and force_gray; choose one");
  if (param.has_mean_file() && param.mean_value_size() > 0)
    throw Error(where_, "transform_param sets both mean_file and mean_value; choose one");
  if (param.has_mean_file()) {
    LOG_INFO("Loading mean file from: {}", param.mean_file());
    caffe::BlobProto proto;
    read_binary_proto(param.mean_file(), proto);
    std::vector<int> shape = proto_shape(proto);
    // A mean image is (1,) C, H, W: its last three axes, missing leading ones read as 1.
    while (shape.size() < 3) shape.insert(shape.begin(), 1);
    const size_t n = shape.size();
    mean_channels_ = shape[n - 3];
    mean_height_ = shape[n - 2];
    mean_width_ = shape[n - 1];
    const size_t count = static_cast<size_t>(mean_channels_) * mean_height_ * mean_width_;
    const size_t have = proto.data_size() > 0 ? proto.data_size() : proto.double_data_size();
    if (count == 0 || have < count)
      throw Error(param.mean_file(), "mean image of shape " + shape_string(shape) + " holds " +
                                         std::to_string(have) + " values");
    mean_image_.resize(count);
    for (size_t i = 0; i < count; ++i)
      mean_image_[i] = proto.data_size() > 0 ? proto.data(static_cast<int>(i))
                                             : static_cast<float>(proto.double_data(static_cast<int>(i)));
  }
  for (float v : param.mean_value()) mean_values_.push_back(v);
}

Transformer::~Transformer() = default;

float Transformer::scale() const { return param_->scale(); }

bool Transformer::is_random() const {
  return phase_ == caffe::TRAIN && (param_->mirror() || param_->crop_size() > 0);
}

void Transformer::seed(uint64_t seed) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  rng_.seed(seq);
}

std::string Transformer::rng_state() const {
  std::ostringstream s;
  s << rng_;
  return s.str();
}

void Transformer::set_rng_state(const std::string& state) {
  std::istringstream s(state);
  std::mt19937 rng;
  s >> rng;
  if (s.fail()) throw Error(where_, "malformed random generator state in the saved data state");
  rng_ = rng;
}

// Caffe's Rand(n): the generator's next 32-bit output modulo n.
unsigned Transformer::draw(unsigned n) { return static_cast<unsigned>(rng_() % n); }

void Transformer::check_mean(int channels, int height, int width) const {
  if (!mean_image_.empty() &&
      (channels != mean_channels_ || height != mean_height_ || width != mean_width_))
    throw Error(where_, "mean_file " + param_->mean_file() + " is " +
                            dims(mean_channels_, mean_height_, mean_width_) +
                            ", the data is " + dims(channels, height, width));
  const int nv = static_cast<int>(mean_values_.size());
  if (nv > 1 && nv != channels)
    throw Error(where_, "transform_param has " + std::to_string(nv) +
                            " mean_value entries for data with " + std::to_string(channels) +
                            " channels; give 1 or one per channel");
}

// The mean for one output row: a pointer to the mean image's row (at the uncropped
// position of the row's first pixel), or, when there is no mean image, nullptr and
// the channel's constant (0 without mean values).
const float* Transformer::mean_row(int c, int src_row_start, float& constant) const {
  constant = 0.f;
  if (!mean_image_.empty()) return mean_image_.data() + src_row_start;
  if (!mean_values_.empty()) constant = mean_values_.size() == 1 ? mean_values_[0] : mean_values_[c];
  return nullptr;
}

Transformer::Plan Transformer::plan(int channels, int height, int width, const char* what) {
  if (channels <= 0 || height <= 0 || width <= 0)
    throw Error(where_, std::string(what) + " has shape " + dims(channels, height, width) +
                            ", expected positive sizes");
  const int crop = static_cast<int>(param_->crop_size());
  if (crop > height || crop > width)
    throw Error(where_, "crop_size " + std::to_string(crop) + " is larger than the " + what +
                            " (" + dims(channels, height, width) + ")");
  check_mean(channels, height, width);
  Plan p;
  p.height = crop ? crop : height;
  p.width = crop ? crop : width;
  const bool train = phase_ == caffe::TRAIN;
  p.mirror = train && param_->mirror() && draw(2) != 0;
  if (crop) {
    if (train) {
      p.h_off = static_cast<int>(draw(height - crop + 1));
      p.w_off = static_cast<int>(draw(width - crop + 1));
    } else {
      p.h_off = (height - crop) / 2;
      p.w_off = (width - crop) / 2;
    }
  }
  return p;
}

cv::Mat Transformer::decode(const caffe::Datum& datum) const {
  const int flags = param_->force_color()  ? cv::IMREAD_COLOR
                    : param_->force_gray() ? cv::IMREAD_GRAYSCALE
                                           : cv::IMREAD_UNCHANGED;
  return decode_image(datum.data(), flags, where_ + ": encoded datum");
}

std::vector<int> Transformer::output_shape(const caffe::Datum& datum) const {
  if (datum.encoded()) return output_shape(decode(datum));
  const int c = datum.channels(), h = datum.height(), w = datum.width();
  const int crop = static_cast<int>(param_->crop_size());
  if (c <= 0 || h <= 0 || w <= 0)
    throw Error(where_, "datum has shape " + dims(c, h, w) + ", expected positive sizes");
  if (crop > h || crop > w)
    throw Error(where_, "crop_size " + std::to_string(crop) + " is larger than the datum (" +
                            dims(c, h, w) + ")");
  return {c, crop ? crop : h, crop ? crop : w};
}

std::vector<int> Transformer::output_shape(const cv::Mat& image) const {
  const int crop = static_cast<int>(param_->crop_size());
  const int h = image.rows, w = image.cols;
  if (crop > h || crop > w)
    throw Error(where_, "crop_size " + std::to_string(crop) + " is larger than the image (" +
                            std::to_string(h) + "x" + std::to_string(w) + ")");
  return {image.channels(), crop ? crop : h, crop ? crop : w};
}

Transformer::Plan Transformer::draw_plan(const caffe::Datum& datum) {
  CORTADO_ASSERT(!datum.encoded());
  if ((param_->force_color() || param_->force_gray()) && !warned_force_) {
    LOG_WARN("{}: force_color and force_gray apply to encoded datums only", where_);
    warned_force_ = true;
  }
  const int C = datum.channels(), H = datum.height(), W = datum.width();
  const size_t n = static_cast<size_t>(std::max(C, 0)) * std::max(H, 0) * std::max(W, 0);
  const std::string& bytes = datum.data();
  const bool uint8 = !bytes.empty();
  const size_t have = uint8 ? bytes.size() : static_cast<size_t>(datum.float_data_size());
  if (have != n)
    throw Error(where_, "datum of shape " + dims(C, H, W) + " holds " + std::to_string(have) +
                            (uint8 ? " bytes" : " float values") + ", expected " +
                            std::to_string(n));
  return plan(C, H, W, "datum");
}

void Transformer::transform(const caffe::Datum& datum, float* out) {
  if (datum.encoded()) {
    transform(decode(datum), out);
    return;
  }
  const Plan p = draw_plan(datum);
  const int C = datum.channels(), H = datum.height(), W = datum.width();
  const std::string& bytes = datum.data();
  const bool uint8 = !bytes.empty();
  const float scale = param_->scale();
  const auto* pixels = reinterpret_cast<const uint8_t*>(bytes.data());
  for (int c = 0; c < C; ++c)
    for (int h = 0; h < p.height; ++h) {
      const int src = (c * H + p.h_off + h) * W + p.w_off;
      float m = 0.f;
      const float* mean = mean_row(c, src, m);
      float* row = out + (c * p.height + h) * p.width;
      for (int w = 0; w < p.width; ++w) {
        const float v = uint8 ? static_cast<float>(pixels[src + w]) : datum.float_data(src + w);
        row[p.mirror ? p.width - 1 - w : w] = (v - (mean ? mean[w] : m)) * scale;
      }
    }
}

Transformer::Plan Transformer::draw_plan(const cv::Mat& image) {
  if (image.depth() != CV_8U)
    throw Error(where_, "image is not 8-bit (only unsigned byte images can be transformed)");
  return plan(image.channels(), image.rows, image.cols, "image");
}

void Transformer::transform(const cv::Mat& image, float* out) {
  const Plan p = draw_plan(image);
  const int C = image.channels(), H = image.rows, W = image.cols;
  const float scale = param_->scale();
  for (int h = 0; h < p.height; ++h) {
    // OpenCV rows are H×W×C interleaved; the output is planar C×H×W.
    const uint8_t* pixels = image.ptr<uint8_t>(p.h_off + h) + p.w_off * C;
    for (int c = 0; c < C; ++c) {
      float m = 0.f;
      const float* mean = mean_row(c, (c * H + p.h_off + h) * W + p.w_off, m);
      float* row = out + (c * p.height + h) * p.width;
      for (int w = 0; w < p.width; ++w) {
        const float v = static_cast<float>(pixels[w * C + c]);
        row[p.mirror ? p.width - 1 - w : w] = (v - (mean ? mean[w] : m)) * scale;
      }
    }
  }
}

void Transformer::transform(const cv::Mat& image, Blob& blob) {
  std::vector<int> shape = output_shape(image);
  shape.insert(shape.begin(), 1);
  blob.reshape(shape);
  transform(image, blob.mutable_data());
}

}  // namespace cortado
