#pragma once
// Mean images into the files other programs read: .npy for NumPy, .png to look at,
// .txt for people and spreadsheets.
#include <string>

namespace cortado {

struct MeanImage;

enum class MeanFileFormat { kNpy, kPng, kTxt };
MeanFileFormat parse_mean_format(const std::string& name);  // "npy", "png", "txt"
// From the extension of `path`; an unknown one is an Error asking for --format.
MeanFileFormat mean_format_from_extension(const std::string& path);

// npy: float32 C×H×W. png: the mean rounded to uint8 (1 channel gray, 3 BGR as Caffe
// stores it, so the picture shows true colours). txt: a header line "# C H W", then
// per channel H lines of W values. Written atomically.
void write_mean(const MeanImage& mean, const std::string& path, MeanFileFormat format);

}  // namespace cortado
