#include "data/datum_image.hpp"

#include <algorithm>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "caffe.pb.h"
#include "data/png_fast.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

// Caffe stores the original file only when re-encoding would change nothing:
// same extension as the requested encoding ("jpeg" counts as "jpg").
bool extension_matches(const std::string& path, const std::string& encoding) {
  const std::string ext = file_extension(path);
  return ext == encoding || (encoding == "jpg" && ext == "jpeg");
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string file_extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return lower(path.substr(dot + 1));
}

cv::Mat decode_image(std::string_view bytes, int flags, const std::string& where) {
  if (bytes.empty()) throw Error(where, "empty file, expected an image");
  cv::Mat img;
  const bool fast_flags = flags == cv::IMREAD_COLOR || flags == cv::IMREAD_GRAYSCALE;
  if (fast_flags && decode_png_fast(bytes, flags == cv::IMREAD_GRAYSCALE, img)) return img;
  const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  try {
    img = cv::imdecode(buf, flags);
  } catch (const cv::Exception&) {
    img.release();  // OpenCV throws on some malformed files instead of returning empty
  }
  if (img.empty()) throw Error(where, "not a readable image (expected PNG, JPEG, BMP, ...)");
  return img;
}

cv::Mat read_image(const std::string& path, int flags, const std::string& context) {
  try {
    return decode_image(read_file(path), flags, path);
  } catch (const Error& e) {
    if (context.empty()) throw;
    throw Error(e.what() + (" (" + context + ")"));
  }
}

void mat_to_datum(const cv::Mat& img, caffe::Datum& datum) {
  if (img.depth() != CV_8U) throw Error("", "only 8-bit images can be stored in a Datum");
  const int c = img.channels(), h = img.rows, w = img.cols;
  datum.set_channels(c);
  datum.set_height(h);
  datum.set_width(w);
  datum.clear_data();
  datum.clear_float_data();
  datum.set_encoded(false);
  std::string* out = datum.mutable_data();
  out->resize(static_cast<size_t>(c) * h * w);
  // HWC (OpenCV) -> CHW (Caffe): each channel plane written in place.
  std::vector<cv::Mat> planes;
  for (int k = 0; k < c; ++k)
    planes.emplace_back(h, w, CV_8UC1, out->data() + static_cast<size_t>(k) * h * w);
  cv::split(img, planes);
}

void image_file_to_datum(const std::string& path, const std::string& file_bytes, int label,
                         const ImageToDatumOptions& opt, caffe::Datum& datum) {
  const bool resize = opt.resize_height > 0 && opt.resize_width > 0;
  cv::Mat img = decode_image(file_bytes, opt.gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR, path);
  if (resize) {
    cv::Mat resized;
    cv::resize(img, resized, cv::Size(opt.resize_width, opt.resize_height));
    img = resized;
  }
  datum.Clear();
  if (!opt.encoded) {
    mat_to_datum(img, datum);
    datum.set_label(label);
    return;
  }
  const std::string enc = opt.encode_type.empty() ? file_extension(path) : lower(opt.encode_type);
  if (enc.empty())
    throw Error(path, "no file extension to guess the encoding from (use --encode-type)");
  if (!resize && extension_matches(path, enc)) {
    datum.set_data(file_bytes);
  } else {
    std::vector<uchar> buf;
    bool ok = false;
    try {
      ok = cv::imencode("." + enc, img, buf);
    } catch (const cv::Exception&) {
      ok = false;
    }
    if (!ok)
      throw Error(path,
                  "cannot encode as '" + enc + "' (expected an OpenCV format such as png or jpg)");
    datum.set_data(buf.data(), buf.size());
  }
  datum.set_label(label);
  datum.set_encoded(true);
}

cv::Mat datum_to_mat(const caffe::Datum& datum, const std::string& where) {
  if (datum.encoded()) return decode_image(datum.data(), cv::IMREAD_UNCHANGED, where);
  const int c = datum.channels(), h = datum.height(), w = datum.width();
  if (datum.data().empty() && datum.float_data_size() > 0)
    throw Error(where, "holds float data, expected uint8 pixels");
  if (c <= 0 || h <= 0 || w <= 0 || c > 4)
    throw Error(where, "bad shape " + std::to_string(c) + "x" + std::to_string(h) + "x" +
                           std::to_string(w) + " (expected 1-4 channels and a positive size)");
  const size_t n = static_cast<size_t>(c) * h * w;
  if (datum.data().size() != n)
    throw Error(where, "holds " + std::to_string(datum.data().size()) + " bytes, expected " +
                           std::to_string(n) + " for its shape");
  // CHW (Caffe) -> HWC (OpenCV)
  std::vector<cv::Mat> planes;
  for (int k = 0; k < c; ++k)
    planes.emplace_back(h, w, CV_8UC1,
                        const_cast<char*>(datum.data().data()) + static_cast<size_t>(k) * h * w);
  cv::Mat img;
  cv::merge(planes, img);
  return img;
}

}  // namespace cortado
