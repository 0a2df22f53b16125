// cuBLAS GEMM against the CPU (Eigen) GEMM: every transpose combination, padded
// rows, beta != 0, and a long K that TF32 rounding would push past the tolerance.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cublas_v2.h>

#include "blob/blob.hpp"
#include "cuda/math/gemm.hpp"
#include "cuda/util/context.hpp"
#include "math/gemm.hpp"
#include "support/gradient_checker.hpp"
#endif

namespace cortado::test {

#ifdef CORTADO_WITH_CUDA
namespace {

// op(A) M x K, op(B) K x N, C M x N, each row padded by `pad` elements.
void compare_gemm(Trans ta, Trans tb, int M, int N, int K, int pad, float alpha, float beta) {
  INFO("ta " << (ta == Trans::yes) << " tb " << (tb == Trans::yes) << " M " << M << " N " << N
             << " K " << K << " pad " << pad);
  const int a_rows = ta == Trans::no ? M : K, a_cols = ta == Trans::no ? K : M;
  const int b_rows = tb == Trans::no ? K : N, b_cols = tb == Trans::no ? N : K;
  const int lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
  Blob a({a_rows, lda}), b({b_rows, ldb}), c({M, ldc}), gc({M, ldc});
  fill_uniform(a, -1.f, 1.f, 1);
  fill_uniform(b, -1.f, 1.f, 2);
  fill_uniform(c, -1.f, 1.f, 3);
  std::copy(c.data(), c.data() + c.count(), gc.mutable_data());
  gemm(ta, tb, M, N, K, alpha, a.data(), lda, b.data(), ldb, beta, c.mutable_data(), ldc);
  gpu::gemm(ta, tb, M, N, K, alpha, a.gpu_data(), lda, b.gpu_data(), ldb, beta,
            gc.mutable_gpu_data(), ldc);
  require_close(gc.data(), c.data(), c.count(), 1e-4f);
}

}  // namespace
#endif

TEST_CASE("cuBLAS gemm matches the CPU gemm", "[gpu][gemm]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  for (Trans ta : {Trans::no, Trans::yes})
    for (Trans tb : {Trans::no, Trans::yes}) {
      compare_gemm(ta, tb, 37, 29, 53, 0, 1.f, 0.f);
      compare_gemm(ta, tb, 17, 33, 9, 3, 0.7f, 0.3f);
    }
  compare_gemm(Trans::no, Trans::yes, 128, 96, 4096, 0, 1.f, 0.f);
#endif
}

TEST_CASE("cuBLAS handle keeps TF32 off", "[gpu][gemm]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  cublasMath_t mode{};
  REQUIRE(cublasGetMathMode(gpu::Context::get().cublas(), &mode) == CUBLAS_STATUS_SUCCESS);
  CHECK(mode == CUBLAS_DEFAULT_MATH);
#endif
}

}  // namespace cortado::test
