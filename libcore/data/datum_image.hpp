#pragma once
// Datum <-> image, byte for byte as Caffe's io.cpp does it: raw datums hold uint8
// C×H×W in BGR order (OpenCV's channel order), encoded datums hold an image file.
#include <string>
#include <string_view>

namespace cv {
class Mat;
}
namespace caffe {
class Datum;
}

namespace cortado {

// How create_lmdb turns an image file into a Datum (Caffe's ReadImageToDatum).
struct ImageToDatumOptions {
  int resize_height = 0;  // both > 0: cv::resize with INTER_LINEAR, as Caffe does
  int resize_width = 0;
  bool gray = false;        // 1 channel instead of Caffe's default 3 (BGR)
  bool encoded = false;     // store image bytes instead of raw pixels
  std::string encode_type;  // "png", "jpg", ...; empty: the file's own extension
};

// Decodes image bytes with OpenCV (`flags` as cv::imdecode); an undecodable file is
// an Error naming `where`.
cv::Mat decode_image(std::string_view bytes, int flags, const std::string& where);

// Reads an image file and decodes it as decode_image does (the PNG fast path, then
// OpenCV): one way of reading images for create_lmdb, ImageData and classify.
// A missing or undecodable file is an Error naming `path`, followed by `context`.
cv::Mat read_image(const std::string& path, int flags, const std::string& context = "");

// Reads and converts one image file into `datum` (label set). The file's bytes are
// passed in so the caller controls I/O. Errors name `path`.
void image_file_to_datum(const std::string& path, const std::string& file_bytes, int label,
                         const ImageToDatumOptions& opt, caffe::Datum& datum);

// Caffe's CVMatToDatum: uint8 image -> channels/height/width, CHW data, encoded=false.
void mat_to_datum(const cv::Mat& img, caffe::Datum& datum);

// A Datum as an 8-bit image (H×W, 1 or 3 channels, BGR): raw data reordered from CHW,
// encoded data decoded as stored (IMREAD_UNCHANGED, like Caffe's DecodeDatumNative).
// Float datums and sizes that disagree with the shape are Errors naming `where`.
cv::Mat datum_to_mat(const caffe::Datum& datum, const std::string& where);

// Lower-case extension without the dot ("PNG" -> "png"); empty when there is none.
std::string file_extension(const std::string& path);

}  // namespace cortado
