// GEMM, GEMV and im2col/col2im against straightforward loops.
#include <random>

#include "math/gemm.hpp"
#include "math/gemm_isa.hpp"
#include "math/im2col.hpp"
#include "vision_util.hpp"

namespace cortado::test::vision {
namespace {

std::vector<float> randoms(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (float &x : v) x = d(rng);
  return v;
}

// Entry (r, c) of op(X) where X is row-major with leading dimension ld.
float at(const std::vector<float> &x, int ld, bool trans, int r, int c) {
  return trans ? x[size_t(c) * ld + r] : x[size_t(r) * ld + c];
}

using GemmFn = void (*)(Trans, Trans, int, int, int, float, const float *, int, const float *, int,
                        float, float *, int);

// Each build of the kernels this machine can run, and the dispatching entry
// point.
std::vector<std::pair<std::string, GemmFn>> gemm_kernels() {
  std::vector<std::pair<std::string, GemmFn>> k = {{"dispatch", &gemm}, {"avx2", &avx2::gemm}};
#ifdef CORTADO_HAVE_AVX512
  if (std::string(gemm_isa()) == "avx512") k.emplace_back("avx512", &avx512::gemm);
#endif
  return k;
}

}  // namespace

TEST_CASE(
    "gemm matches loops for every transpose, leading dimension, beta and "
    "kernel build",
    "[layers][math]") {
  // Sizes past one vector register and one cache block, with ragged edges.
  const int M = 37, N = 45, K = 300;
  for (const auto &[isa, kernel] : gemm_kernels())
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (float beta : {0.f, 1.f, 0.5f}) {
          // Leading dimensions larger than the row length, to catch stride
          // mix-ups.
          const int lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
          const auto A = randoms(size_t(ta ? K : M) * lda, 1);
          const auto B = randoms(size_t(tb ? N : K) * ldb, 2);
          auto C = randoms(size_t(M) * ldc, 3);
          const auto C0 = C;
          kernel(ta ? Trans::yes : Trans::no, tb ? Trans::yes : Trans::no, M, N, K, 1.5f, A.data(),
                 lda, B.data(), ldb, beta, C.data(), ldc);
          for (int i = 0; i < M; ++i)
            for (int j = 0; j < ldc; ++j) {
              INFO(isa << " ta " << ta << " tb " << tb << " beta " << beta << " at " << i << ","
                       << j);
              if (j >= N) {  // outside the matrix: untouched
                REQUIRE(C[size_t(i) * ldc + j] == C0[size_t(i) * ldc + j]);
                continue;
              }
              double s = 0;
              for (int k = 0; k < K; ++k) s += at(A, lda, ta, i, k) * at(B, ldb, tb, k, j);
              const double want = 1.5 * s + beta * C0[size_t(i) * ldc + j];
              REQUIRE(C[size_t(i) * ldc + j] == Approx(want).margin(1e-4));
            }
        }
}

TEST_CASE("gemm with beta 0 ignores NaN in the output", "[layers][math]") {
  std::vector<float> A = {1, 2, 3, 4}, B = {1, 0, 0, 1}, C(4, std::nanf(""));
  gemm(Trans::no, Trans::no, 2, 2, 2, 1.f, A.data(), B.data(), 0.f, C.data());
  require_close(C, {1, 2, 3, 4});
}

TEST_CASE("gemm of a product large enough to use several threads matches loops", "[layers][math]") {
  const int M = 96, N = 300, K = 200;
  const auto A = randoms(size_t(M) * K, 4), B = randoms(size_t(K) * N, 5);
  std::vector<float> C(size_t(M) * N);
  gemm(Trans::no, Trans::no, M, N, K, 1.f, A.data(), B.data(), 0.f, C.data());
  for (int i = 0; i < M; i += 7)
    for (int j = 0; j < N; j += 11) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += double(A[size_t(i) * K + k]) * B[size_t(k) * N + j];
      REQUIRE(C[size_t(i) * N + j] == Approx(s).margin(1e-4));
    }
}

TEST_CASE("gemv matches loops, plain and transposed", "[layers][math]") {
  const int M = 4, N = 6;
  const auto A = randoms(size_t(M) * N, 6), x = randoms(N, 7), xt = randoms(M, 8);
  std::vector<float> y = randoms(M, 9), yt = randoms(N, 10);
  const auto y0 = y, yt0 = yt;
  gemv(Trans::no, M, N, 2.f, A.data(), x.data(), 0.5f, y.data());
  gemv(Trans::yes, M, N, 1.f, A.data(), xt.data(), 0.f, yt.data());
  for (int i = 0; i < M; ++i) {
    double s = 0;
    for (int j = 0; j < N; ++j) s += A[size_t(i) * N + j] * x[j];
    REQUIRE(y[i] == Approx(2 * s + 0.5 * y0[i]).margin(1e-5));
  }
  for (int j = 0; j < N; ++j) {
    double s = 0;
    for (int i = 0; i < M; ++i) s += A[size_t(i) * N + j] * xt[i];
    REQUIRE(yt[j] == Approx(s).margin(1e-5));
  }
}

namespace {

ConvGeometry geometry(int C, int H, int W, int kh, int kw, int ph, int pw, int sh, int sw, int dh,
                      int dw) {
  ConvGeometry g{C, H, W, kh, kw, ph, pw, sh, sw, dh, dw, 0, 0};
  g.col_h = (H + 2 * ph - (dh * (kh - 1) + 1)) / sh + 1;
  g.col_w = (W + 2 * pw - (dw * (kw - 1) + 1)) / sw + 1;
  return g;
}

// The definition in im2col.hpp, written out.
float column_entry(const ConvGeometry &g, const std::vector<float> &im, int num, int row, int col) {
  const int c = row / (g.kernel_h * g.kernel_w), i = row / g.kernel_w % g.kernel_h,
            j = row % g.kernel_w;
  const int n = col / g.col_spatial(), y = col % g.col_spatial() / g.col_w, x = col % g.col_w;
  const int iy = y * g.stride_h - g.pad_h + i * g.dilation_h;
  const int ix = x * g.stride_w - g.pad_w + j * g.dilation_w;
  (void)num;
  if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) return 0.f;
  return im[((size_t(n) * g.channels + c) * g.height + iy) * g.width + ix];
}

}  // namespace

TEST_CASE(
    "im2col unrolls batches with pad, stride and dilation; col2im is its "
    "adjoint",
    "[layers][math]") {
  const std::vector<ConvGeometry> cases = {
      geometry(2, 5, 6, 3, 3, 0, 0, 1, 1, 1, 1),  // plain
      geometry(3, 7, 6, 3, 2, 1, 2, 2, 1, 1,
               1),  // rectangular kernel, pad, stride
      geometry(2, 9, 8, 3, 3, 2, 1, 1, 3, 2,
               2),                                // dilation, stride wider than kernel
      geometry(1, 4, 4, 2, 2, 1, 1, 3, 3, 1, 1),  // stride skipping pixels
      geometry(2, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1),  // 1x1
  };
  const int num = 3;
  for (size_t k = 0; k < cases.size(); ++k) {
    const ConvGeometry &g = cases[k];
    INFO("case " << k);
    const auto im = randoms(size_t(num) * g.image_count(), 11 + k);
    const size_t cols = size_t(num) * g.col_spatial();
    std::vector<float> col(g.col_rows() * cols, 99.f);
    im2col(g, im.data(), num, col.data());
    for (int r = 0; r < g.col_rows(); ++r)
      for (size_t c = 0; c < cols; ++c)
        REQUIRE(col[r * cols + c] == column_entry(g, im, num, r, int(c)));

    // <im2col(x), y> == <x, col2im(y)> for random y.
    const auto y = randoms(col.size(), 21 + k);
    std::vector<float> back(im.size(), 99.f);
    col2im(g, y.data(), num, back.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < col.size(); ++i) lhs += double(col[i]) * y[i];
    for (size_t i = 0; i < im.size(); ++i) rhs += double(im[i]) * back[i];
    REQUIRE(lhs == Approx(rhs).epsilon(1e-5));
  }
}

TEST_CASE("channel-major reordering round-trips", "[layers][math]") {
  const int num = 3, rows = 4, cols = 5;
  const auto src = randoms(size_t(num) * rows * cols, 31);
  std::vector<float> mid(src.size()), back(src.size());
  to_channel_major(src.data(), num, rows, cols, mid.data());
  REQUIRE(mid[1 * (num * cols) + 2 * cols + 3] == src[(2 * rows + 1) * cols + 3]);
  from_channel_major(mid.data(), num, rows, cols, back.data());
  REQUIRE(back == src);
}

}  // namespace cortado::test::vision
