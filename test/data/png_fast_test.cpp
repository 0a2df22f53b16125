// The PNG fast path gives exactly what cv::imdecode gives, and declines what it
// does not handle.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "data/datum_image.hpp"
#include "data/png_fast.hpp"
#include "support/tool_runner.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

using namespace cortado;

namespace {

std::string encode(const cv::Mat& img, int level) {
  std::vector<uchar> buf;
  REQUIRE(cv::imencode(".png", img, buf, {cv::IMWRITE_PNG_COMPRESSION, level}));
  return std::string(buf.begin(), buf.end());
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() &&
         cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

cv::Mat opencv_decode(const std::string& bytes, int flags) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1,
                              const_cast<char*>(bytes.data())),
                      flags);
}

// Images whose rows make libpng choose every filter type: noise, ramps, flat areas.
cv::Mat test_image(int rows, int cols, int type, unsigned seed) {
  cv::Mat img(rows, cols, type);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  for (int y = 0; y < rows / 3; ++y)
    for (int x = 0; x < cols * img.channels(); ++x) img.ptr<uint8_t>(y)[x] = uint8_t(x + y);
  img.rowRange(rows / 3, rows / 2).setTo(cv::Scalar::all(77));
  return img;
}

// A copy of `png` with one extra chunk inserted after IHDR (which is 8 + 25 bytes in).
std::string with_chunk(const std::string& png, const std::string& type, const std::string& data) {
  std::string chunk;
  const uint32_t len = static_cast<uint32_t>(data.size());
  for (int s = 24; s >= 0; s -= 8) chunk += static_cast<char>(len >> s);
  const std::string body = type + data;
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(body.data()), body.size());
  chunk += body;
  for (int s = 24; s >= 0; s -= 8) chunk += static_cast<char>(crc >> s);
  return png.substr(0, 33) + chunk + png.substr(33);
}

}  // namespace

TEST_CASE("the PNG fast path decodes gray and RGB exactly as OpenCV", "[data][png]") {
  int checked = 0;
  for (int type : {CV_8UC1, CV_8UC3}) {
    for (int level : {0, 1, 6, 9}) {
      for (auto size : {cv::Size(1, 1), cv::Size(28, 28), cv::Size(37, 23), cv::Size(300, 200)}) {
        const std::string png = encode(test_image(size.height, size.width, type, level), level);
        for (int flags : {cv::IMREAD_COLOR, cv::IMREAD_GRAYSCALE}) {
          INFO("type " << type << " level " << level << " size " << size << " flags " << flags);
          cv::Mat fast;
          const bool handled = decode_png_fast(png, flags == cv::IMREAD_GRAYSCALE, fast);
          // RGB read as gray goes through OpenCV (libpng's own weights).
          CHECK(handled == !(type == CV_8UC3 && flags == cv::IMREAD_GRAYSCALE));
          if (handled) CHECK(same(fast, opencv_decode(png, flags)));
          CHECK(same(decode_image(png, flags, "x.png"), opencv_decode(png, flags)));
          ++checked;
        }
      }
    }
  }
  CHECK(checked == 64);
  // Caffe's golden images, written by another PNG encoder (filter 0 throughout).
  const std::string golden = read_file(test::testdata("images/coat.6.png"));
  cv::Mat fast;
  REQUIRE(decode_png_fast(golden, false, fast));
  CHECK(same(fast, opencv_decode(golden, cv::IMREAD_COLOR)));
}

TEST_CASE("the PNG fast path declines what it does not handle", "[data][png]") {
  cv::Mat out;
  const std::string rgba = encode(test_image(8, 8, CV_8UC4, 1), 3);
  const std::string deep = encode(cv::Mat(8, 8, CV_16UC1, cv::Scalar(1000)), 3);
  const std::string gray = encode(test_image(8, 8, CV_8UC1, 2), 3);
  CHECK(!decode_png_fast(rgba, false, out));
  CHECK(!decode_png_fast(deep, false, out));
  CHECK(!decode_png_fast("not a png", false, out));
  CHECK(!decode_png_fast(with_chunk(gray, "gAMA", std::string("\x00\x00\xb1\x8f", 4)), false, out));
  CHECK(!decode_png_fast(with_chunk(gray, "tRNS", std::string("\x00\x05", 2)), false, out));
  CHECK(decode_png_fast(with_chunk(gray, "tEXt", std::string("k\0v", 3)), false, out));
  // Damage: a flipped bit in the pixel data (CRC mismatch) or a cut file.
  std::string flipped = gray;
  flipped[flipped.size() - 20] ^= 0x10;
  CHECK(!decode_png_fast(flipped, false, out));
  CHECK(!decode_png_fast(gray.substr(0, gray.size() - 15), false, out));
  // Whatever the fast path declines, decode_image still answers as OpenCV does.
  for (const std::string* png : {&rgba, &deep}) {
    CHECK(same(decode_image(*png, cv::IMREAD_COLOR, "x.png"), opencv_decode(*png, cv::IMREAD_COLOR)));
  }
  CHECK_THROWS_AS(decode_image(gray.substr(0, 40), cv::IMREAD_COLOR, "cut.png"), Error);
}
