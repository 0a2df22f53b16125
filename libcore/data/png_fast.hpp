#pragma once
// A fast path for the PNGs datasets are made of (8-bit gray or RGB, not interlaced):
// the whole image inflated in one zlib call instead of libpng's row-by-row reads,
// which spend most of their time in zlib's slow path on small images. It gives the
// same pixels as cv::imdecode (lossless format, same conversions: gray is replicated
// into BGR, RGB is swapped to BGR) and declines everything else, which then goes
// through OpenCV: other depths and colour types, palettes, transparency, gamma or
// colour-profile chunks, EXIF, and any file that is damaged in any way.
#include <string_view>

namespace cv {
class Mat;
}

namespace cortado {

// `gray`: as cv::IMREAD_GRAYSCALE, else as cv::IMREAD_COLOR. False: not handled here.
bool decode_png_fast(std::string_view bytes, bool gray, cv::Mat& out);

}  // namespace cortado
