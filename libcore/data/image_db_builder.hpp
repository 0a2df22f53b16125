#pragma once
// create_lmdb's work: image files -> Datums -> LMDB, decoded on all cores in order,
// built in a temporary folder and renamed into place only when complete.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/datum_image.hpp"
#include "data/image_set.hpp"

namespace cortado {

struct ImageDbOptions {
  ImageToDatumOptions image;
  bool shuffle = false;
  uint64_t seed = 0;            // for --shuffle and for choosing the validation images
  double valid_fraction = 0;    // > 0: OUTPUT is a folder with train_lmdb and valid_lmdb
  bool force = false;           // replace an existing OUTPUT
  bool skip_bad = false;        // skip (and count) unreadable images instead of failing
  int threads = 0;              // 0: all cores
  bool progress = false;        // draw a progress bar on stderr
};

struct ImageDbPart {
  std::string path;                    // where the database was written
  size_t count = 0;                    // entries written
  std::map<int, size_t> label_counts;  // label -> entries
};

struct ImageDbReport {
  std::vector<ImageDbPart> parts;  // one, or train then valid
  size_t skipped_bad = 0;
};

// Images are read from `root`/<item.path>. Keys are Caffe's "%08d_<path>", numbered
// by position in each database's list (so skipped images leave gaps, as in Caffe).
ImageDbReport build_image_db(const std::string& root, std::vector<LabeledImage> images,
                             const std::string& output, const ImageDbOptions& opt);

}  // namespace cortado
