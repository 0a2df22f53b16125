#pragma once
// ImageData: batches of image files listed in image_data_param.source ("path label"
// per line, the label after the last space), read from root_folder + path with
// OpenCV (colour, or gray when is_color is false), resized to new_height x new_width
// when both are set, and passed through the transformer. shuffle: a new random order
// every epoch. Tops: data (N, C, H, W) and label (N). Read ahead on a prefetch
// thread; its position and random state can be saved and restored exactly.
#include "data/prefetch.hpp"

namespace cortado {

class ImageDataLayer : public PrefetchingDataLayer {
 public:
  using PrefetchingDataLayer::PrefetchingDataLayer;
  const char* type() const override { return "ImageData"; }
  int exact_num_top_blobs() const override { return 2; }
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
};

}  // namespace cortado
