#include "data/png_fast.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace cortado {
namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

bool is_type(const uint8_t* t, const char* name) { return std::memcmp(t, name, 4) == 0; }

// Ancillary chunks that cannot change the pixels OpenCV returns.
bool harmless(const uint8_t* t) {
  return is_type(t, "tEXt") || is_type(t, "zTXt") || is_type(t, "iTXt") || is_type(t, "tIME") ||
         is_type(t, "pHYs");
}

// One inflater per thread, reset between images (saves its allocations).
class Inflater {
 public:
  Inflater() { ok_ = inflateInit(&z_) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  // Inflates the complete zlib stream `in` into exactly out_size bytes.
  bool run(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
    if (!ok_ || inflateReset(&z_) != Z_OK) return false;
    z_.next_in = const_cast<uint8_t*>(in);
    z_.avail_in = static_cast<uInt>(in_size);
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(out_size);
    return inflate(&z_, Z_FINISH) == Z_STREAM_END && z_.avail_out == 0;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

// Undoes the per-row filters in place; `raw` holds h rows of (1 filter byte + stride).
bool unfilter(uint8_t* raw, size_t h, size_t stride, size_t bpp) {
  const uint8_t* prev = nullptr;
  for (size_t y = 0; y < h; ++y) {
    uint8_t* row = raw + y * (stride + 1);
    const uint8_t f = row[0];
    uint8_t* r = row + 1;
    switch (f) {
      case 0: break;
      case 1:
        for (size_t i = bpp; i < stride; ++i) r[i] += r[i - bpp];
        break;
      case 2:
        if (prev)
          for (size_t i = 0; i < stride; ++i) r[i] += prev[i];
        break;
      case 3:
        for (size_t i = 0; i < stride; ++i) {
          const int left = i >= bpp ? r[i - bpp] : 0, up = prev ? prev[i] : 0;
          r[i] += static_cast<uint8_t>((left + up) >> 1);
        }
        break;
      case 4:
        for (size_t i = 0; i < stride; ++i) {
          const int left = i >= bpp ? r[i - bpp] : 0, up = prev ? prev[i] : 0;
          const int ul = (prev && i >= bpp) ? prev[i - bpp] : 0;
          r[i] += paeth(left, up, ul);
        }
        break;
      default: return false;
    }
    prev = r;
  }
  return true;
}

}  // namespace

bool decode_png_fast(std::string_view bytes, bool gray, cv::Mat& out) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = p + bytes.size();
  if (bytes.size() < 8 + 25 || std::memcmp(p, kSignature, 8) != 0) return false;
  p += 8;

  uint32_t w = 0, h = 0;
  int channels = 0;
  thread_local std::string idat;
  const uint8_t* single_idat = nullptr;
  size_t idat_size = 0, idat_chunks = 0;
  bool seen_header = false, seen_end = false;
  idat.clear();
  while (!seen_end) {
    if (end - p < 12) return false;
    const uint32_t len = be32(p);
    const uint8_t* type = p + 4;
    const uint8_t* data = p + 8;
    if (len > static_cast<size_t>(end - data) - 4) return false;
    if (be32(data + len) != crc32(crc32(0L, Z_NULL, 0), type, len + 4)) return false;
    if (!seen_header) {
      // IHDR: width, height, depth 8, colour type 0 (gray) or 2 (RGB), no interlace.
      if (!is_type(type, "IHDR") || len != 13) return false;
      w = be32(data);
      h = be32(data + 4);
      if (data[8] != 8 || data[10] != 0 || data[11] != 0 || data[12] != 0) return false;
      channels = data[9] == 0 ? 1 : data[9] == 2 ? 3 : 0;
      if (channels == 0 || (gray && channels == 3)) return false;  // RGB->gray: libpng's weights
      if (w == 0 || h == 0 || w > (1u << 16) || h > (1u << 16)) return false;
      seen_header = true;
    } else if (is_type(type, "IDAT")) {
      if (idat_chunks++ == 0) {
        single_idat = data;
      } else {
        if (idat_chunks == 2) idat.assign(reinterpret_cast<const char*>(single_idat), idat_size);
        idat.append(reinterpret_cast<const char*>(data), len);
      }
      idat_size += len;
    } else if (is_type(type, "IEND")) {
      seen_end = true;
    } else if (!harmless(type)) {
      return false;
    }
    p = data + len + 4;
  }
  if (idat_chunks == 0) return false;

  const size_t stride = static_cast<size_t>(w) * channels;
  thread_local std::vector<uint8_t> raw;
  raw.resize((stride + 1) * h);
  thread_local Inflater inflater;
  const uint8_t* z = idat_chunks == 1 ? single_idat : reinterpret_cast<const uint8_t*>(idat.data());
  if (!inflater.run(z, idat_size, raw.data(), raw.size())) return false;
  if (!unfilter(raw.data(), h, stride, channels)) return false;

  const int out_channels = gray ? 1 : 3;
  out.create(static_cast<int>(h), static_cast<int>(w), CV_8UC(out_channels));
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* src = raw.data() + y * (stride + 1) + 1;
    uint8_t* dst = out.ptr<uint8_t>(static_cast<int>(y));
    if (channels == out_channels && channels == 1) {
      std::memcpy(dst, src, w);
    } else if (channels == 1) {  // gray -> BGR
      for (size_t x = 0; x < w; ++x) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
    } else {  // RGB -> BGR
      for (size_t x = 0; x < w; ++x) {
        dst[3 * x] = src[3 * x + 2];
        dst[3 * x + 1] = src[3 * x + 1];
        dst[3 * x + 2] = src[3 * x];
      }
    }
  }
  return true;
}

}  // namespace cortado
