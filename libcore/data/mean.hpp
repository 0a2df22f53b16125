#pragma once
// Mean images: computed from an LMDB the way Caffe's compute_image_mean does,
// stored as Caffe's mean.binaryproto (a BlobProto with the legacy 1×C×H×W fields).
#include <cstddef>
#include <string>
#include <vector>

namespace caffe {
class BlobProto;
}

namespace cortado {

struct MeanImage {
  int channels = 0, height = 0, width = 0;
  std::vector<float> data;  // C×H×W
  size_t count = 0;         // images averaged (0 when read from a file)
};

// Averages every Datum of the database (raw, float or encoded; encoded ones are
// decoded as stored, like Caffe). Logs Caffe's "Processed N files." lines. All
// entries must have the first entry's shape: otherwise an Error naming the key.
MeanImage compute_mean(const std::string& db_path);

// Caffe's layout: num=1, channels, height, width set, `shape` left empty, float data.
void mean_to_blobproto(const MeanImage& mean, caffe::BlobProto& blob);

// Reads a mean.binaryproto (legacy fields or `shape` of 1×C×H×W or C×H×W, float or
// double data). A truncated or foreign file is an Error naming `path`.
MeanImage read_mean_binaryproto(const std::string& path);

// The per-channel averages, accumulated in float as Caffe does (its log line
// "mean_value channel [c]: ..." and what a transform_param's mean_value wants).
std::vector<float> channel_means(const MeanImage& mean);

// A float as C++ streams print it by default (6 significant digits), e.g. "72.1403".
std::string format_float6(float v);

}  // namespace cortado
