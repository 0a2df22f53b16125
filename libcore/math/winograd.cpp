#include "math/winograd.hpp"

#include <algorithm>

#include "math/gemm.hpp"

namespace cortado {
namespace {

// F(4x4, 3x3) with interpolation points 0, +-1, +-2, infinity (Lavin & Gray):
// a tile is  A^T [(G g G^T) . (B^T d B)] A  for a 3x3 filter g and a 6x6 input d.
constexpr float kBT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                             {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
constexpr float kG[6][3] = {{1.f / 4, 0, 0},
                            {-1.f / 6, -1.f / 6, -1.f / 6},
                            {-1.f / 6, 1.f / 6, -1.f / 6},
                            {1.f / 24, 1.f / 12, 1.f / 6},
                            {1.f / 24, -1.f / 12, 1.f / 6},
                            {0, 0, 1}};
constexpr float kAT[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
constexpr int kTiles = 36;  // transformed positions per tile (6 x 6)

// The small products of the transforms, fully unrolled so that the constant
// coefficients fold (most are 0 or +-1).
// out = L in
template <int R, int T, int S>
inline void left(const float (&L)[R][T], const float (&in)[T][S], float (&out)[R][S]) {
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 6
    for (int j = 0; j < S; ++j) {
      float s = 0.f;
#pragma GCC unroll 6
      for (int q = 0; q < T; ++q) s += L[i][q] * in[q][j];
      out[i][j] = s;
    }
}
// out = in L^T
template <int R, int T, int S>
inline void right(const float (&in)[S][T], const float (&L)[R][T], float (&out)[S][R]) {
#pragma GCC unroll 6
  for (int i = 0; i < S; ++i)
#pragma GCC unroll 6
    for (int j = 0; j < R; ++j) {
      float s = 0.f;
#pragma GCC unroll 6
      for (int q = 0; q < T; ++q) s += in[i][q] * L[j][q];
      out[i][j] = s;
    }
}
// out = L^T in
template <int R, int T, int S>
inline void left_t(const float (&L)[T][R], const float (&in)[T][S], float (&out)[R][S]) {
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 6
    for (int j = 0; j < S; ++j) {
      float s = 0.f;
#pragma GCC unroll 6
      for (int q = 0; q < T; ++q) s += L[q][i] * in[q][j];
      out[i][j] = s;
    }
}
// out = in L
template <int R, int T, int S>
inline void right_t(const float (&in)[S][T], const float (&L)[T][R], float (&out)[S][R]) {
#pragma GCC unroll 6
  for (int i = 0; i < S; ++i)
#pragma GCC unroll 6
    for (int j = 0; j < R; ++j) {
      float s = 0.f;
#pragma GCC unroll 6
      for (int q = 0; q < T; ++q) s += in[i][q] * L[q][j];
      out[i][j] = s;
    }
}

// Scratch per pass: transformed input and product tiles together stay under this
// many floats (32 MB), whatever the batch and image size.
constexpr long kBlockBudget = 8L << 20;

}  // namespace

bool winograd_worth_it(int kernel_h, int kernel_w, int stride_h, int stride_w, int dilation_h,
                       int dilation_w, int pad_h, int pad_w, int channels_per_group,
                       int outputs_per_group) {
  const bool eligible = kernel_h == 3 && kernel_w == 3 && stride_h == 1 && stride_w == 1 &&
                        dilation_h == 1 && dilation_w == 1 && pad_h >= 0 && pad_h <= 2 &&
                        pad_w >= 0 && pad_w <= 2;
  // With few channels the transforms cost more than the GEMMs save.
  return eligible && channels_per_group >= 16 && outputs_per_group >= 16;
}

void Winograd3x3::reshape(const WinogradShape& s) {
  s_ = s;
  tiles_ = long(s.num) * tiles_h() * tiles_w();
  const long per_tile = long(kTiles) * (s.channels + s.out_channels);
  block_ = std::max(1L, std::min(tiles_, kBlockBudget / per_tile));
  u_.resize(size_t(kTiles) * s.out_channels * (s.channels / s.groups));
  v_.resize(size_t(kTiles) * s.channels * block_);
  m_.resize(size_t(kTiles) * s.out_channels * block_);
}

void Winograd3x3::transform_weights(const float* w) {
  const int K = s_.out_channels, Cg = s_.channels / s_.groups;
  float* u = u_.data();
#pragma omp parallel for schedule(static) if (long(K) * Cg * 9 >= 4096)
  for (long kc = 0; kc < long(K) * Cg; ++kc) {
    float g[3][3], t[6][3], out[6][6];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) g[i][j] = w[kc * 9 + i * 3 + j];
    left(kG, g, t);
    right(t, kG, out);
    for (int xi = 0; xi < kTiles; ++xi) u[xi * long(K) * Cg + kc] = out[xi / 6][xi % 6];
  }
}

void Winograd3x3::transform_input(const float* x, long p0, long count) {
  const int C = s_.channels, H = s_.height, W = s_.width, th = tiles_h(), tw = tiles_w();
  const int ph = s_.pad_h, pw = s_.pad_w;
  const long plane = long(H) * W, stride = long(C) * block_;
  float* v = v_.data();
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (long t = 0; t < count; ++t) {
      const long p = p0 + t;
      const long n = p / (long(th) * tw);
      const int r = int(p % (long(th) * tw)), y0 = (r / tw) * 4 - ph, x0 = (r % tw) * 4 - pw;
      const float* src = x + (n * C + c) * plane;
      float d[6][6], tmp[6][6], out[6][6];
      if (y0 >= 0 && x0 >= 0 && y0 + 6 <= H && x0 + 6 <= W) {
        for (int i = 0; i < 6; ++i)
          for (int j = 0; j < 6; ++j) d[i][j] = src[long(y0 + i) * W + x0 + j];
      } else {  // a border tile: zeros outside the image (the padding)
        for (int i = 0; i < 6; ++i)
          for (int j = 0; j < 6; ++j) {
            const int y = y0 + i, xx = x0 + j;
            d[i][j] = y >= 0 && y < H && xx >= 0 && xx < W ? src[long(y) * W + xx] : 0.f;
          }
      }
      left(kBT, d, tmp);
      right(tmp, kBT, out);
      float* dst = v + long(c) * block_ + t;
      for (int xi = 0; xi < kTiles; ++xi) dst[xi * stride] = out[xi / 6][xi % 6];
    }
}

void Winograd3x3::gemms(long count) {
  const int K = s_.out_channels, C = s_.channels, G = s_.groups, Kg = K / G, Cg = C / G;
  const int ld = int(block_);
  // 36 independent products: side by side, each on one thread.
#pragma omp parallel for schedule(static)
  for (int xi = 0; xi < kTiles; ++xi)
    for (int g = 0; g < G; ++g)
      gemm(Trans::no, Trans::no, Kg, int(count), Cg, 1.f,
           u_.data() + (long(xi) * K + long(g) * Kg) * Cg, Cg,
           v_.data() + (long(xi) * C + long(g) * Cg) * block_, ld, 0.f,
           m_.data() + (long(xi) * K + long(g) * Kg) * block_, ld);
}

void Winograd3x3::transform_output(float* y, long p0, long count) {
  const int K = s_.out_channels, OH = s_.out_h(), OW = s_.out_w(), th = tiles_h(), tw = tiles_w();
  const long plane = long(OH) * OW, stride = long(K) * block_;
  const float* m = m_.data();
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < K; ++k)
    for (long t = 0; t < count; ++t) {
      const long p = p0 + t;
      const long n = p / (long(th) * tw);
      const int r = int(p % (long(th) * tw)), y0 = (r / tw) * 4, x0 = (r % tw) * 4;
      float in[6][6], tmp[4][6], out[4][4];
      const float* src = m + long(k) * block_ + t;
      for (int xi = 0; xi < kTiles; ++xi) in[xi / 6][xi % 6] = src[xi * stride];
      left(kAT, in, tmp);
      right(tmp, kAT, out);
      float* dst = y + (n * K + k) * plane;
      const int rows = std::min(4, OH - y0), cols = std::min(4, OW - x0);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) dst[long(y0 + i) * OW + x0 + j] = out[i][j];
    }
}

void Winograd3x3::forward(const float* x, const float* w, float* y) {
  transform_weights(w);
  for (long p0 = 0; p0 < tiles_; p0 += block_) {
    const long count = std::min(block_, tiles_ - p0);
    transform_input(x, p0, count);
    gemms(count);
    transform_output(y, p0, count);
  }
}

// The adjoint of transform_output: dM = A dy A^T, with dy zero past the output's edge.
void Winograd3x3::transform_output_adjoint(const float* dy, long p0, long count) {
  const int K = s_.out_channels, OH = s_.out_h(), OW = s_.out_w(), th = tiles_h(), tw = tiles_w();
  const long plane = long(OH) * OW, stride = long(K) * block_;
  float* m = m_.data();
#pragma omp parallel for collapse(2) schedule(static)
  for (int k = 0; k < K; ++k)
    for (long t = 0; t < count; ++t) {
      const long p = p0 + t;
      const long n = p / (long(th) * tw);
      const int r = int(p % (long(th) * tw)), y0 = (r / tw) * 4, x0 = (r % tw) * 4;
      const float* src = dy + (n * K + k) * plane;
      const int rows = std::min(4, OH - y0), cols = std::min(4, OW - x0);
      float d[4][4] = {}, tmp[6][4], out[6][6];
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) d[i][j] = src[long(y0 + i) * OW + x0 + j];
      left_t(kAT, d, tmp);
      right_t(tmp, kAT, out);
      float* dst = m + long(k) * block_ + t;
      for (int xi = 0; xi < kTiles; ++xi) dst[xi * stride] = out[xi / 6][xi % 6];
    }
}

void Winograd3x3::backward_weights(const float* x, const float* dy, float* dw) {
  const int K = s_.out_channels, C = s_.channels, G = s_.groups, Kg = K / G, Cg = C / G;
  const int ld = int(block_);
  // u_ accumulates dU = sum over tiles of dM V^T, one K x C/g matrix per position.
  for (long p0 = 0; p0 < tiles_; p0 += block_) {
    const long count = std::min(block_, tiles_ - p0);
    transform_input(x, p0, count);
    transform_output_adjoint(dy, p0, count);
    const float beta = p0 == 0 ? 0.f : 1.f;
#pragma omp parallel for schedule(static)
    for (int xi = 0; xi < kTiles; ++xi)
      for (int g = 0; g < G; ++g)
        gemm(Trans::no, Trans::yes, Kg, Cg, int(count), 1.f,
             m_.data() + (long(xi) * K + long(g) * Kg) * block_, ld,
             v_.data() + (long(xi) * C + long(g) * Cg) * block_, ld, beta,
             u_.data() + (long(xi) * K + long(g) * Kg) * Cg, Cg);
  }
  // dw += G^T dU G, the adjoint of the weight transform.
  const float* u = u_.data();
#pragma omp parallel for schedule(static) if (long(K) * Cg * 9 >= 4096)
  for (long kc = 0; kc < long(K) * Cg; ++kc) {
    float du[6][6], tmp[3][6], out[3][3];
    for (int xi = 0; xi < kTiles; ++xi) du[xi / 6][xi % 6] = u[xi * long(K) * Cg + kc];
    left_t(kG, du, tmp);
    right_t(tmp, kG, out);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) dw[kc * 9 + i * 3 + j] += out[i][j];
  }
}

void Winograd3x3DataGrad::reshape(const WinogradShape& f) {
  fwd_ = f;
  WinogradShape t;
  t.num = f.num;
  t.channels = f.out_channels;
  t.height = f.out_h();
  t.width = f.out_w();
  t.out_channels = f.channels;
  t.groups = f.groups;
  t.pad_h = 2 - f.pad_h;
  t.pad_w = 2 - f.pad_w;
  conv_.reshape(t);
  flipped_.resize(size_t(f.out_channels) * (f.channels / f.groups) * 9);
}

void Winograd3x3DataGrad::backward_data(const float* dy, const float* w, float* dx) {
  // Per group, filter (k, c) rotated by 180 degrees becomes filter (c, k).
  const int G = fwd_.groups, Kg = fwd_.out_channels / G, Cg = fwd_.channels / G;
  float* f = flipped_.data();
  for (int g = 0; g < G; ++g)
    for (int c = 0; c < Cg; ++c)
      for (int k = 0; k < Kg; ++k) {
        const float* src = w + ((long(g) * Kg + k) * Cg + c) * 9;
        float* dst = f + ((long(g) * Cg + c) * Kg + k) * 9;
        for (int i = 0; i < 9; ++i) dst[i] = src[8 - i];
      }
  conv_.forward(dy, f, dx);
}

}  // namespace cortado
