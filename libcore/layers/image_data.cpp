#include "layers/image_data.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>  // IMREAD_* flags
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>

#include "data/datum_image.hpp"
#include "data/transformer.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace cortado {
namespace {

using ImageList = std::vector<std::pair<std::string, int>>;

std::string text_of(const std::mt19937& rng) {
  std::ostringstream s;
  s << rng;
  return s.str();
}

// Distinct streams for the shuffle and rand_skip from one seed.
std::mt19937 seeded(uint64_t seed, uint32_t stream) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), stream};
  return std::mt19937(seq);
}

ImageList read_list(const std::string& source, const std::string& where) {
  if (source.empty()) throw Error(where, "image_data_param.source is not set");
  std::ifstream in(source);
  if (!in) throw Error(source, "cannot open the image list");
  ImageList lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    // The label follows the last space, so paths may contain spaces.
    const size_t space = line.find_last_of(' ');
    const std::string label_text = space == std::string::npos ? "" : line.substr(space + 1);
    char* end = nullptr;
    errno = 0;
    const long label = std::strtol(label_text.c_str(), &end, 10);
    // (a label past int's range would wrap around into another class)
    if (space == std::string::npos || space == 0 || label_text.empty() || *end != '\0' ||
        errno == ERANGE || label < INT_MIN || label > INT_MAX)
      throw Error(source + ":" + std::to_string(number),
                  "expected '<image path> <integer label>', got '" + line + "'");
    lines.emplace_back(line.substr(0, space), static_cast<int>(label));
  }
  if (lines.empty()) throw Error(source, "the image list is empty");
  LOG_INFO("A total of {} images.", lines.size());
  return lines;
}

// Listed images in list order or shuffled per epoch. The state is the position in
// this epoch's order, the generator state the epoch's shuffle started from (so the
// order can be rebuilt), and the transformer's generator.
class ImageListSource : public BatchSource {
 public:
  ImageListSource(ImageList lines, caffe::ImageDataParameter param,
                  std::unique_ptr<Transformer> transformer, std::string where)
      : lines_(std::move(lines)),
        param_(std::move(param)),
        transformer_(std::move(transformer)),
        where_(std::move(where)) {}

  cv::Mat read_image(size_t line) const {
    const std::string path = param_.root_folder() + lines_[line].first;
    cv::Mat image =
        cortado::read_image(path, param_.is_color() ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE,
                            "listed in " + param_.source());
    if (param_.new_height() > 0 && param_.new_width() > 0) {
      cv::Mat resized;
      cv::resize(
          image, resized,
          cv::Size(static_cast<int>(param_.new_width()), static_cast<int>(param_.new_height())));
      return resized;
    }
    return image;
  }

  std::vector<int> current_shape() const {
    return transformer_->output_shape(read_image(order_[position_]));
  }

  void load_batch(DataBatch& batch) override {
    const int batch_size = static_cast<int>(param_.batch_size());
    std::vector<int> shape;
    batch.labels.resize(batch_size);
    batch.raw.expect(batch_size);
    const bool raw = static_cast<bool>(batch.raw.buffer);  // GPU mode: left untransformed
    for (int item = 0; item < batch_size; ++item) {
      const size_t line = order_[position_];
      const cv::Mat image = read_image(line);
      const std::vector<int> s = transformer_->output_shape(image);
      if (item == 0) {
        shape = s;
        if (!raw) batch.data.resize(static_cast<size_t>(batch_size) * s[0] * s[1] * s[2]);
      } else if (s != shape) {
        throw Error(param_.root_folder() + lines_[line].first,
                    "gives " + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" +
                        std::to_string(s[2]) + " but the batch's first image gave " +
                        std::to_string(shape[0]) + "x" + std::to_string(shape[1]) + "x" +
                        std::to_string(shape[2]) + " (set new_height/new_width or crop_size)");
      }
      if (raw)
        batch.raw.add(*transformer_, image);
      else
        transformer_->transform(image,
                                batch.data.data() + static_cast<size_t>(item) * s[0] * s[1] * s[2]);
      batch.labels[item] = static_cast<float>(lines_[line].second);
      if (++position_ == lines_.size()) {
        position_ = 0;
        epoch_rng_ = next_epoch_rng_;
        make_order();
      }
    }
    batch.data_shape = {batch_size, shape[0], shape[1], shape[2]};
  }

  std::string state() const override {
    return format_data_state("ImageData", {{"position", std::to_string(position_)},
                                           {"epoch_rng", text_of(epoch_rng_)},
                                           {"rng", transformer_->rng_state()}});
  }

  void set_state(const std::string& state) override {
    auto fields = parse_data_state(state, "ImageData", where_);
    size_t position = 0;
    try {
      position = std::stoull(fields.at("position"));
    } catch (const std::exception&) {
      throw Error(where_, "the saved data state has no valid position");
    }
    std::mt19937 epoch_rng;
    std::istringstream rng_text(fields["epoch_rng"]);
    rng_text >> epoch_rng;
    if (rng_text.fail())
      throw Error(where_, "malformed shuffle generator state in the saved data state");
    if (position >= lines_.size())
      throw Error(where_, "the saved data state points at image " + std::to_string(position) +
                              ", but " + param_.source() + " lists " +
                              std::to_string(lines_.size()));
    transformer_->set_rng_state(fields["rng"]);
    epoch_rng_ = epoch_rng;
    position_ = position;
    make_order();
  }

  const Transformer& transformer() const override { return *transformer_; }
  size_t position() const override { return position_; }

  void reseed(uint64_t seed, bool fresh) override {
    transformer_->seed(seed);
    epoch_rng_ = seeded(seed, 1);
    make_order();
    if (fresh) apply_rand_skip(seed);
  }

 private:
  // The epoch's order: the list order, or a shuffle drawn from epoch_rng_. Fisher-Yates
  // on the generator's raw output, so the order depends on nothing but the generator
  // (std::shuffle differs between standard libraries).
  void make_order() {
    order_.resize(lines_.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    next_epoch_rng_ = epoch_rng_;
    if (!param_.shuffle()) return;
    for (size_t i = order_.size(); i > 1; --i)
      std::swap(order_[i - 1], order_[next_epoch_rng_() % i]);
  }

  void apply_rand_skip(uint64_t seed) {
    position_ = 0;
    if (param_.rand_skip() == 0) return;
    std::mt19937 rng = seeded(seed, 2);
    position_ = rng() % param_.rand_skip();
    if (position_ >= lines_.size())
      throw Error(where_, "rand_skip " + std::to_string(param_.rand_skip()) +
                              " may skip past the " + std::to_string(lines_.size()) +
                              " listed images");
    LOG_INFO("Skipping first {} data points.", position_);
  }

  ImageList lines_;
  caffe::ImageDataParameter param_;
  std::unique_ptr<Transformer> transformer_;
  std::string where_;
  std::vector<size_t> order_;
  size_t position_ = 0;          // next entry of order_ to read
  std::mt19937 epoch_rng_;       // the state this epoch's shuffle started from
  std::mt19937 next_epoch_rng_;  // the state after it: the next epoch's start
};

}  // namespace

void ImageDataLayer::layer_setup(const BlobVec& /*bottom*/, const BlobVec& top) {
  const caffe::ImageDataParameter& p = param_.image_data_param();
  if ((p.new_height() == 0) != (p.new_width() == 0))
    throw Error(where(), "new_height and new_width must be set together");
  const int batch_size = static_cast<int>(p.batch_size());
  if (batch_size <= 0) throw Error(where(), "image_data_param.batch_size must be positive");
  ImageList lines = read_list(p.source(), where());
  if (p.shuffle()) LOG_INFO("Shuffling data");
  auto source = std::make_unique<ImageListSource>(
      std::move(lines), p,
      std::make_unique<Transformer>(effective_transform_param(), phase(), where()), where());
  source->reseed(0, true);
  const std::vector<int> shape = source->current_shape();
  const std::vector<int> top_shape{batch_size, shape[0], shape[1], shape[2]};
  top[0]->reshape(top_shape);
  LOG_INFO("output data size: {},{},{},{}", top_shape[0], top_shape[1], top_shape[2], top_shape[3]);
  top[1]->reshape(std::vector<int>{batch_size});
  set_source(std::move(source));
}

}  // namespace cortado
