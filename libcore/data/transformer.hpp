#pragma once
// The data transformer: Caffe's TransformationParameter applied to one image.
//   out[c][h][w] = (pixel - mean) * scale
// where mean is the mean_file's value at the same (uncropped) position, or the
// channel's mean_value, or 0. crop_size takes a crop_size x crop_size window: at a
// random offset in TRAIN, centred in TEST. mirror flips the output horizontally
// with probability 1/2 in TRAIN (never in TEST: the test pass stays deterministic).
// force_color / force_gray decide how encoded datums are decoded.
//
// The random draws come from the transformer's own RNG (per image: mirror first,
// then the crop's row offset, then its column offset), so a data layer that owns a
// transformer can be seeded, and its state saved and restored, exactly.
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace caffe {
class Datum;
class TransformationParameter;
enum Phase : int;
}  // namespace caffe
namespace cv {
class Mat;
}

namespace cortado {

class Blob;

class Transformer {
 public:
  // Reads mean_file now (read_binary_proto; a bad file is an Error naming it).
  // `where` prefixes every error (usually the layer's "layer 'data' (Data)").
  Transformer(const caffe::TransformationParameter& param, caffe::Phase phase,
              std::string where = "");
  ~Transformer();
  Transformer(const Transformer&) = delete;
  Transformer& operator=(const Transformer&) = delete;

  // {channels, height, width} of the output for this input (after the crop).
  // Encoded datums are decoded to find out.
  std::vector<int> output_shape(const caffe::Datum& datum) const;
  std::vector<int> output_shape(const cv::Mat& image) const;

  // Writes the transformed image, output_shape() floats in C×H×W order, to `out`.
  // A datum holds raw uint8 C×H×W (BGR), float_data, or an encoded image file.
  // A cv::Mat is 8-bit H×W×C (OpenCV's layout, BGR).
  void transform(const caffe::Datum& datum, float* out);
  void transform(const cv::Mat& image, float* out);
  // Reshapes `blob` to (1, C, H, W) and fills it: for tools that feed one image.
  void transform(const cv::Mat& image, Blob& blob);

  // The image an encoded datum holds, decoded as force_color/force_gray say.
  cv::Mat decode(const caffe::Datum& datum) const;

  // One image's crop and flip.
  struct Plan {
    int h_off = 0, w_off = 0;   // top-left corner of the crop in the input
    int height = 0, width = 0;  // output size
    bool mirror = false;
  };
  // For the device transform (cuda/data/): the checks and random draws that
  // transform() makes for this input, without its arithmetic, so that a GPU run
  // crops and flips exactly what a CPU run with the same seed does. The caller
  // copies the pixels. An encoded datum must be decoded first (decode()).
  Plan draw_plan(const caffe::Datum& datum);
  Plan draw_plan(const cv::Mat& image);
  // What the arithmetic uses. Fixed at construction, so another thread may read
  // them while the prefetch thread draws.
  float scale() const;
  const std::vector<float>& mean_image() const { return mean_image_; }    // C×H×W, or empty
  const std::vector<float>& mean_values() const { return mean_values_; }  // none, 1 or C

  // Whether any draw is ever made (random crop or mirror in TRAIN).
  bool is_random() const;
  void seed(uint64_t seed);
  std::string rng_state() const;
  // Restores a string from rng_state(); a malformed one is an Error.
  void set_rng_state(const std::string& state);

 private:
  Plan plan(int channels, int height, int width, const char* what);
  void check_mean(int channels, int height, int width) const;
  const float* mean_row(int c, int src_row_start, float& constant) const;
  unsigned draw(unsigned n);

  std::unique_ptr<caffe::TransformationParameter> param_;
  caffe::Phase phase_;
  std::string where_;
  // mean_file: C×H×W values; mean_value: one per channel (or one for all).
  std::vector<float> mean_image_;
  int mean_channels_ = 0, mean_height_ = 0, mean_width_ = 0;
  std::vector<float> mean_values_;
  std::mt19937 rng_;
  bool warned_force_ = false;
};

}  // namespace cortado
