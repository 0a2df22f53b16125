#pragma once
// Classifying image files with a deploy net, as Caffe's classify.py and the
// cookbook's caffe.io.Transformer do. Each image is read as RGB (or gray) with
// values in [0, 1], resized (bilinear) to the input blob's H x W, then per pixel:
//   x = (image * raw_scale)[channel_swap] - mean, times input_scale
// With raw_scale 255 the values are exactly the file's 8-bit pixels.
#include <string>
#include <vector>

namespace cortado {

class Net;

struct ImagePrep {
  bool gray = false;              // read one channel (automatic for 1-channel nets)
  float raw_scale = 255.f;        // classify.py's --raw_scale
  std::vector<int> channel_swap;  // output channel i takes input channel swap[i]
  std::vector<float> mean_values; // one per channel, or one for all
  std::string mean_file;          // mean.binaryproto; per-pixel if its H x W fit, else per channel
  float input_scale = 1.f;        // classify.py's --input_scale
};

struct Prediction {
  int index = 0;
  float prob = 0.f;
};

class Classifier {
 public:
  // The net's first input blob takes the image; its first output holds the scores.
  Classifier(Net& net, const ImagePrep& prep);
  // Errors name the image file.
  std::vector<float> scores(const std::string& image_path);
  int channels() const { return channels_; }
  // The scores an image gets: the first output's count.
  int classes() const;

 private:
  void load_mean(const ImagePrep& prep);
  void prepare(const std::string& path, float* out) const;

  Net& net_;
  ImagePrep prep_;
  int channels_ = 0, height_ = 0, width_ = 0;
  std::vector<float> mean_;  // C x H x W, already in the net's channel order
};

// The k highest scores, best first (ties by index).
std::vector<Prediction> top_k(const std::vector<float>& scores, int k);
// One label per line (trailing blank lines dropped), one for each of the net's
// `classes` outputs, as Caffe's classification example requires; a missing file or
// another count is an Error.
std::vector<std::string> read_labels(const std::string& path, int classes);

}  // namespace cortado
