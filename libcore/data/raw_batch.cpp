#include "data/raw_batch.hpp"

#include <algorithm>
#include <cstring>
#include <opencv2/core.hpp>

#include "caffe.pb.h"
#include "data/transformer.hpp"
#include "util/error.hpp"

namespace cortado {
namespace {

constexpr size_t kAlign = 16;

size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

RawItem item_of(const Transformer::Plan& plan, int height, int width, bool is_float) {
  RawItem item{};
  item.height = height;
  item.width = width;
  item.h_off = plan.h_off;
  item.w_off = plan.w_off;
  item.mirror = plan.mirror ? 1 : 0;
  item.is_float = is_float ? 1 : 0;
  return item;
}

}  // namespace

uint8_t* RawBatch::place(RawItem& item, size_t item_bytes) {
  CORTADO_ASSERT(buffer);
  const size_t offset = aligned(bytes);
  // The first input reserves room for the whole batch, assuming equal sizes.
  const size_t left = static_cast<size_t>(std::max(1, expected_ - static_cast<int>(items.size())));
  uint8_t* base = buffer->reserve(offset + aligned(item_bytes) * left, bytes);
  item.offset = static_cast<int64_t>(offset);
  items.push_back(item);
  bytes = offset + item_bytes;
  return base + offset;
}

void RawBatch::add(Transformer& transformer, const caffe::Datum& datum) {
  const Transformer::Plan plan = transformer.draw_plan(datum);  // checks the sizes too
  const int C = datum.channels(), H = datum.height(), W = datum.width();
  const size_t n = static_cast<size_t>(C) * H * W;
  // As the CPU path reads it: bytes when there are any, else float_data.
  const bool is_float = datum.data().empty();
  RawItem item = item_of(plan, H, W, is_float);
  uint8_t* dst = place(item, n * (is_float ? sizeof(float) : 1));
  if (is_float)
    std::memcpy(dst, datum.float_data().data(), n * sizeof(float));
  else
    std::memcpy(dst, datum.data().data(), n);
}

void RawBatch::add(Transformer& transformer, const cv::Mat& image) {
  const Transformer::Plan plan = transformer.draw_plan(image);  // checks the depth too
  const int C = image.channels(), H = image.rows, W = image.cols;
  RawItem item = item_of(plan, H, W, false);
  uint8_t* dst = place(item, static_cast<size_t>(C) * H * W);
  // OpenCV's rows are H×W×C interleaved (and may be padded); ours are planar.
  for (int h = 0; h < H; ++h) {
    const uint8_t* row = image.ptr<uint8_t>(h);
    for (int c = 0; c < C; ++c) {
      uint8_t* out = dst + (static_cast<size_t>(c) * H + h) * W;
      for (int w = 0; w < W; ++w) out[w] = row[w * C + c];
    }
  }
}

}  // namespace cortado
