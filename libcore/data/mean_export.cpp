#include "data/mean_export.hpp"

#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "data/datum_image.hpp"
#include "data/mean.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/npy.hpp"

namespace cortado {
namespace {

std::string png_bytes(const MeanImage& m, const std::string& path) {
  if (m.channels != 1 && m.channels != 3 && m.channels != 4)
    throw Error(path, "a " + std::to_string(m.channels) +
                          "-channel mean cannot be drawn as PNG (expected 1, 3 or 4 channels)");
  const size_t plane = static_cast<size_t>(m.height) * m.width;
  cv::Mat img(m.height, m.width, CV_8UC(m.channels));
  for (int y = 0; y < m.height; ++y) {
    uint8_t* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < m.width; ++x)
      for (int c = 0; c < m.channels; ++c)
        row[x * m.channels + c] = cv::saturate_cast<uint8_t>(m.data[c * plane + y * m.width + x]);
  }
  std::vector<uchar> buf;
  if (!cv::imencode(".png", img, buf)) throw Error(path, "cannot encode the mean as PNG");
  return std::string(buf.begin(), buf.end());
}

std::string txt_bytes(const MeanImage& m) {
  std::string out = "# " + std::to_string(m.channels) + " " + std::to_string(m.height) + " " +
                    std::to_string(m.width) + "\n";
  char buf[32];
  size_t i = 0;
  for (int c = 0; c < m.channels; ++c) {
    if (c) out += "\n";
    for (int y = 0; y < m.height; ++y) {
      for (int x = 0; x < m.width; ++x, ++i) {
        std::snprintf(buf, sizeof buf, x ? " %.9g" : "%.9g", static_cast<double>(m.data[i]));
        out += buf;
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace

MeanFileFormat parse_mean_format(const std::string& name) {
  if (name == "npy") return MeanFileFormat::kNpy;
  if (name == "png") return MeanFileFormat::kPng;
  if (name == "txt") return MeanFileFormat::kTxt;
  throw Error("--format", "unknown format '" + name + "' (expected npy, png or txt)");
}

MeanFileFormat mean_format_from_extension(const std::string& path) {
  const std::string ext = file_extension(path);
  if (ext == "npy" || ext == "png" || ext == "txt") return parse_mean_format(ext);
  throw Error(path, "cannot tell the format from the extension (expected .npy, .png or .txt, "
                    "or give --format)");
}

void write_mean(const MeanImage& m, const std::string& path, MeanFileFormat format) {
  switch (format) {
    case MeanFileFormat::kNpy:
      write_npy(path, {static_cast<size_t>(m.channels), static_cast<size_t>(m.height),
                       static_cast<size_t>(m.width)},
                m.data);
      return;
    case MeanFileFormat::kPng:
      write_file_atomic(path, png_bytes(m, path));
      return;
    case MeanFileFormat::kTxt:
      write_file_atomic(path, txt_bytes(m));
      return;
  }
}

}  // namespace cortado
