#include "net/classifier.hpp"

#include <algorithm>
#include <numeric>
#include <opencv2/imgcodecs.hpp>  // IMREAD_* flags
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "data/datum_image.hpp"
#include "data/mean.hpp"
#include "net/net.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace cortado {

Classifier::Classifier(Net& net, const ImagePrep& prep) : net_(net), prep_(prep) {
  if (net.input_blobs().empty())
    throw Error("net '" + net.name() + "'", "has no Input layer to feed images into");
  if (net.output_blobs().empty())
    throw Error("net '" + net.name() + "'", "has no output blob to read scores from");
  Blob& in = *net.input_blobs()[0];
  if (in.num_axes() != 4)
    throw Error("net '" + net.name() + "'",
                "its input blob must be N x C x H x W, got " + in.shape_string());
  channels_ = in.shape(1);
  height_ = in.shape(2);
  width_ = in.shape(3);
  if (channels_ != 1 && channels_ != 3)
    throw Error("net '" + net.name() + "'",
                "images have 1 or 3 channels, the input blob has " + std::to_string(channels_));
  if (channels_ == 1) prep_.gray = true;
  if (prep_.gray && channels_ != 1)
    throw Error("--gray", "the net's input has " + std::to_string(channels_) + " channels");
  if (!prep_.channel_swap.empty()) {
    std::vector<int> sorted = prep_.channel_swap;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> want(channels_);
    std::iota(want.begin(), want.end(), 0);
    if (sorted != want)
      throw Error("--channel-swap", "must be a permutation of the input's " +
                                        std::to_string(channels_) + " channels");
  }
  load_mean(prep_);
  in.reshape({1, channels_, height_, width_});
  net.reshape();
}

void Classifier::load_mean(const ImagePrep& prep) {
  const size_t plane = static_cast<size_t>(height_) * width_;
  mean_.assign(plane * channels_, 0.f);
  std::vector<float> per_channel;
  if (!prep.mean_file.empty()) {
    const MeanImage m = read_mean_binaryproto(prep.mean_file);
    if (m.channels != channels_)
      throw Error(prep.mean_file, "has " + std::to_string(m.channels) +
                                      " channels, the net's input has " +
                                      std::to_string(channels_));
    if (m.height == height_ && m.width == width_) {
      mean_ = m.data;
      return;
    }
    per_channel = channel_means(m);  // classify.py averages a mean of another size
  } else if (!prep.mean_values.empty()) {
    per_channel = prep.mean_values;
    if (per_channel.size() == 1) per_channel.assign(channels_, per_channel[0]);
    if (static_cast<int>(per_channel.size()) != channels_)
      throw Error("--mean-value", "needs 1 or " + std::to_string(channels_) +
                                      " values (one a "
                                      "channel), got " +
                                      std::to_string(prep.mean_values.size()));
  } else {
    return;
  }
  for (int c = 0; c < channels_; ++c)
    std::fill(mean_.begin() + c * plane, mean_.begin() + (c + 1) * plane, per_channel[c]);
}

void Classifier::prepare(const std::string& path, float* out) const {
  const cv::Mat raw = read_image(path, prep_.gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  cv::Mat img = raw;
  if (!prep_.gray) cv::cvtColor(raw, img, cv::COLOR_BGR2RGB);  // the cookbook's RGB order
  const bool resize = img.rows != height_ || img.cols != width_;
  cv::Mat scaled;  // float, values already times raw_scale
  if (resize) {
    cv::Mat unit;
    img.convertTo(unit, CV_32F, 1.0 / 255.0);
    cv::resize(unit, scaled, cv::Size(width_, height_), 0, 0, cv::INTER_LINEAR);
    scaled *= prep_.raw_scale;
  } else {
    // Without a resize, u * raw_scale / 255 in double keeps 8-bit values exact at 255.
    img.convertTo(scaled, CV_32F, static_cast<double>(prep_.raw_scale) / 255.0);
  }
  const size_t plane = static_cast<size_t>(height_) * width_;
  for (int c = 0; c < channels_; ++c) {
    const int src = prep_.channel_swap.empty() ? c : prep_.channel_swap[c];
    for (int h = 0; h < height_; ++h) {
      const float* row = scaled.ptr<float>(h);
      for (int w = 0; w < width_; ++w) {
        const size_t i = c * plane + static_cast<size_t>(h) * width_ + w;
        out[i] = (row[w * channels_ + src] - mean_[i]) * prep_.input_scale;
      }
    }
  }
}

std::vector<float> Classifier::scores(const std::string& image_path) {
  prepare(image_path, net_.input_blobs()[0]->mutable_data());
  net_.forward();
  const Blob& out = *net_.output_blobs()[0];
  return std::vector<float>(out.data(), out.data() + out.count());
}

int Classifier::classes() const { return net_.output_blobs()[0]->count(); }

std::vector<Prediction> top_k(const std::vector<float>& scores, int k) {
  std::vector<Prediction> all(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) all[i] = {static_cast<int>(i), scores[i]};
  std::stable_sort(all.begin(), all.end(),
                   [](const Prediction& a, const Prediction& b) { return a.prob > b.prob; });
  all.resize(std::min(all.size(), static_cast<size_t>(std::max(k, 0))));
  return all;
}

std::vector<std::string> read_labels(const std::string& path, int classes) {
  std::istringstream in(read_file(path));
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (static_cast<int>(labels.size()) != classes)
    throw Error(path, "has " + std::to_string(labels.size()) + " labels, the net has " +
                          std::to_string(classes) + " outputs (one label a line)");
  return labels;
}

}  // namespace cortado
