#include "math/im2col.hpp"

#include <algorithm>
#include <cstring>

#include "math/parallel.hpp"

namespace cortado {
namespace {

// Output positions x in [lo, hi) read input x*stride + offset inside [0, size).
struct Range {
  int lo, hi;
};
Range valid_range(int out, int stride, int offset, int size) {
  int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int hi = size - 1 - offset < 0 ? 0 : (size - 1 - offset) / stride + 1;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
  return {lo, hi};
}

// One kernel offset (i, j) of one channel plane into one col_h x col_w block.
// Rows are short (8 floats for LeNet's conv2), so the per-row work is kept to a
// pointer step and one copy loop: the rows and columns that read padding are
// found up front instead of being tested per element.
void unroll_plane(const ConvGeometry& g, const float* plane, int i, int j, float* dst) {
  const int cw = g.col_w, W = g.width, sw = g.stride_w;
  const int x_off = j * g.dilation_w - g.pad_w, y_off = i * g.dilation_h - g.pad_h;
  const Range xr = valid_range(cw, sw, x_off, W);
  const Range yr = valid_range(g.col_h, g.stride_h, y_off, g.height);
  const int lo = xr.lo, hi = xr.hi;
  std::fill(dst, dst + long(yr.lo) * cw, 0.f);
  // `row` indexes the input row of output row y, shifted by x_off (it may be
  // negative: only indices inside the row are read).
  long row = long(yr.lo * g.stride_h + y_off) * W + x_off;
  const long row_step = long(g.stride_h) * W;
  float* d = dst + long(yr.lo) * cw;
  if (sw == 1 && lo == 0 && hi == cw) {
    for (int y = yr.lo; y < yr.hi; ++y, row += row_step, d += cw) {
#pragma omp simd
      for (int x = 0; x < cw; ++x) d[x] = plane[row + x];
    }
  } else {
    for (int y = yr.lo; y < yr.hi; ++y, row += row_step, d += cw) {
      for (int x = 0; x < lo; ++x) d[x] = 0.f;
      if (sw == 1) {
#pragma omp simd
        for (int x = lo; x < hi; ++x) d[x] = plane[row + x];
      } else {
        for (int x = lo; x < hi; ++x) d[x] = plane[row + x * sw];
      }
      for (int x = hi; x < cw; ++x) d[x] = 0.f;
    }
  }
  std::fill(d, dst + long(g.col_h) * cw, 0.f);
}

// The adjoint of unroll_plane: adds the block back onto the plane.
void fold_plane(const ConvGeometry& g, const float* src, int i, int j, float* plane) {
  const int cw = g.col_w, W = g.width, sw = g.stride_w;
  const int x_off = j * g.dilation_w - g.pad_w, y_off = i * g.dilation_h - g.pad_h;
  const Range xr = valid_range(cw, sw, x_off, W);
  const Range yr = valid_range(g.col_h, g.stride_h, y_off, g.height);
  const int lo = xr.lo, hi = xr.hi;
  long row = long(yr.lo * g.stride_h + y_off) * W + x_off;  // as in unroll_plane
  const long row_step = long(g.stride_h) * W;
  const float* s = src + long(yr.lo) * cw;
  for (int y = yr.lo; y < yr.hi; ++y, row += row_step, s += cw) {
    if (sw == 1) {
#pragma omp simd
      for (int x = lo; x < hi; ++x) plane[row + x] += s[x];
    } else {
      for (int x = lo; x < hi; ++x) plane[row + x * sw] += s[x];
    }
  }
}

}  // namespace

void im2col(const ConvGeometry& g, const float* images, int num, float* col) {
  const int rows = g.col_rows(), sp = g.col_spatial(), kk = g.kernel_h * g.kernel_w;
  const long ld = static_cast<long>(num) * sp;
  const int plane = g.height * g.width;
#pragma omp parallel for collapse(2) schedule(static) if (rows * ld >= kParallelMin)
  for (int r = 0; r < rows; ++r) {
    for (int n = 0; n < num; ++n) {
      const int c = r / kk, i = (r / g.kernel_w) % g.kernel_h, j = r % g.kernel_w;
      const float* src = images + (static_cast<long>(n) * g.channels + c) * plane;
      unroll_plane(g, src, i, j, col + r * ld + static_cast<long>(n) * sp);
    }
  }
}

void col2im(const ConvGeometry& g, const float* col, int num, float* images) {
  const int sp = g.col_spatial(), plane = g.height * g.width;
  const long ld = static_cast<long>(num) * sp;
  const long work = static_cast<long>(g.col_rows()) * ld;
#pragma omp parallel for collapse(2) schedule(static) if (work >= kParallelMin)
  for (int n = 0; n < num; ++n) {
    for (int c = 0; c < g.channels; ++c) {
      float* dst = images + (static_cast<long>(n) * g.channels + c) * plane;
      std::fill(dst, dst + plane, 0.f);
      for (int i = 0; i < g.kernel_h; ++i)
        for (int j = 0; j < g.kernel_w; ++j) {
          const long r = (static_cast<long>(c) * g.kernel_h + i) * g.kernel_w + j;
          fold_plane(g, col + r * ld + static_cast<long>(n) * sp, i, j, dst);
        }
    }
  }
}

void to_channel_major(const float* src, int num, int rows, int cols, float* dst) {
  const long ld = static_cast<long>(num) * cols;
#pragma omp parallel for collapse(2) schedule(static) if (rows * ld >= kParallelMin)
  for (int n = 0; n < num; ++n)
    for (int r = 0; r < rows; ++r)
      std::memcpy(dst + r * ld + static_cast<long>(n) * cols,
                  src + (static_cast<long>(n) * rows + r) * cols, sizeof(float) * cols);
}

void from_channel_major(const float* src, int num, int rows, int cols, float* dst) {
  const long ld = static_cast<long>(num) * cols;
#pragma omp parallel for collapse(2) schedule(static) if (rows * ld >= kParallelMin)
  for (int n = 0; n < num; ++n)
    for (int r = 0; r < rows; ++r)
      std::memcpy(dst + (static_cast<long>(n) * rows + r) * cols,
                  src + r * ld + static_cast<long>(n) * cols, sizeof(float) * cols);
}

}  // namespace cortado
