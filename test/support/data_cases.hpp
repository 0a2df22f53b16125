#pragma once
// Data-layer configurations the device transform must reproduce exactly, shared by
// the host check of the raw-batch path (test/layers/data_raw_batch.cpp) and the GPU
// parity test (test/gpu/data_layer_test.cpp): random crop and mirror in TRAIN,
// centre crop in TEST, mean_file, mean_value (one, or one per channel), scale,
// legacy data_param fields, encoded datums decoded with force_gray / force_color,
// float datums, and inputs of different sizes cropped to one.
#include <string>
#include <vector>

#include "caffe.pb.h"
#include "db/lmdb.hpp"
#include "support/tool_runner.hpp"

namespace cortado::test {

struct DataCase {
  std::string name;
  std::string layer;  // a LayerParameter in text
  int steps;          // forward passes to compare
};

// An LMDB of 2-channel datums of different sizes, uint8 and float, that crop_size 4
// brings to one size: 2x6x6 uint8, 2x5x7 float, 2x7x5 uint8 (70 bytes: the next item
// needs alignment), 2x4x4 float, 2x9x6 uint8. Written once per process.
inline std::string mixed_size_lmdb() {
  static const std::string path = [] {
    const std::string dir = temp_dir("data_mixed_size_lmdb");
    LmdbWriter writer(dir);
    struct Shape {
      int h, w;
      bool is_float;
    };
    const Shape shapes[] = {
        {6, 6, false}, {5, 7, true}, {7, 5, false}, {4, 4, true}, {9, 6, false}};
    int key = 0;
    for (const Shape& s : shapes) {
      caffe::Datum d;
      d.set_channels(2);
      d.set_height(s.h);
      d.set_width(s.w);
      d.set_label(key % 3);
      const int n = 2 * s.h * s.w;
      std::string bytes;
      for (int i = 0; i < n; ++i) {
        if (s.is_float)
          d.add_float_data(0.37f * static_cast<float>((i * 7 + key * 13) % 41) - 5.f);
        else
          bytes += static_cast<char>((i * 29 + key * 71) % 256);
      }
      if (!s.is_float) d.set_data(bytes);
      char name[16];
      std::snprintf(name, sizeof name, "%08d", key++);
      writer.put(name, d.SerializeAsString());
    }
    writer.finish();
    return dir;
  }();
  return path;
}

inline std::vector<DataCase> data_cases() {
  const std::string train = testdata("lmdb/fashion_mnist_train1000_lmdb");
  const std::string test = testdata("lmdb/fashion_mnist_test200_lmdb");
  const std::string encoded = testdata("lmdb/images_encoded_lmdb");
  const std::string color = testdata("lmdb/images_resize32_lmdb");
  const std::string mean = testdata("mean/mean.binaryproto");
  auto data = [](const std::string& phase, const std::string& source, int batch,
                 const std::string& transform, const std::string& more = "") {
    return "name: 'data' type: 'Data' phase: " + phase + " data_param { source: '" + source +
           "' batch_size: " + std::to_string(batch) + " backend: LMDB " + more + "} " +
           (transform.empty() ? "" : "transform_param { " + transform + " }");
  };
  return {
      // 8 batches of 150 cross the end of the 1000 records.
      {"TRAIN random crop and mirror, scale",
       data("TRAIN", train, 150, "crop_size: 24 mirror: true scale: 0.00390625"), 8},
      {"TRAIN random crop and mirror, mean_file",
       data("TRAIN", train, 50, "crop_size: 26 mirror: true mean_file: '" + mean + "'"), 3},
      {"TRAIN mirror without crop, mean_value and scale",
       data("TRAIN", train, 64, "mirror: true mean_value: 10 scale: 0.1"), 2},
      {"TRAIN legacy data_param crop, mirror, scale, mean_file",
       data("TRAIN", train, 32, "",
            "crop_size: 20 mirror: true scale: 0.5 mean_file: '" + mean + "' "),
       2},
      {"TEST centre crop, mean_file and scale",
       data("TEST", test, 90, "crop_size: 20 scale: 0.5 mean_file: '" + mean + "'"), 3},
      {"TEST centre crop of odd margin, mean_value",
       data("TEST", test, 40, "crop_size: 25 mean_value: 33.5"), 2},
      {"TEST mirror is ignored, no transform", data("TEST", test, 7, "mirror: true"), 2},
      {"TRAIN 3 channels, random crop and mirror, one mean_value per channel",
       data("TRAIN", color, 12,
            "crop_size: 27 mirror: true mean_value: 104 mean_value: 117 "
            "mean_value: 123 scale: 0.017"),
       6},
      {"TRAIN encoded, force_gray, random crop and mirror",
       data("TRAIN", encoded, 16, "force_gray: true crop_size: 22 mirror: true scale: 0.5"), 5},
      {"TEST encoded, force_color, centre crop, mean_value per channel",
       data("TEST", encoded, 10,
            "force_color: true crop_size: 26 mean_value: 1 mean_value: 2 "
            "mean_value: 3"),
       2},
      {"TRAIN encoded, force_color, mirror",
       data("TRAIN", encoded, 8, "force_color: true mirror: true"), 2},
      {"TRAIN float and uint8 datums of different sizes, random crop and mirror",
       data("TRAIN", mixed_size_lmdb(), 3,
            "crop_size: 4 mirror: true mean_value: 1.5 mean_value: -2 scale: 0.5"),
       5},
      {"TEST float and uint8 datums of different sizes, centre crop",
       data("TEST", mixed_size_lmdb(), 2, "crop_size: 4 scale: 2"), 3},
  };
}

// ImageData (reads image files with OpenCV's codecs).
inline std::vector<DataCase> image_data_cases() {
  auto images = [](const std::string& phase, const std::string& more,
                   const std::string& transform) {
    return "name: 'images' type: 'ImageData' phase: " + phase + " image_data_param { source: '" +
           testdata("images/list.txt") + "' root_folder: '" + testdata("images") +
           "/' batch_size: 16 " + more + " } transform_param { " + transform + " }";
  };
  return {
      {"ImageData TRAIN shuffled, colour, random crop and mirror",
       images("TRAIN", "shuffle: true", "crop_size: 24 mirror: true mean_value: 100 scale: 0.02"),
       5},
      {"ImageData TEST gray, resized, centre crop",
       images("TEST", "is_color: false new_height: 31 new_width: 30", "crop_size: 27 scale: 0.5"),
       2},
  };
}

}  // namespace cortado::test
