// gpu::gemm_bias (cuda/math/gemm.hpp): cuBLAS, or the small-GEMM kernel, chosen per
// shape by timing.
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "blob/blob.hpp"
#include "cuda/layers/channel_bias.hpp"
#include "cuda/math/gemm.hpp"
#include "cuda/math/small_gemm.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/timing.hpp"
#include "util/log.hpp"

namespace cortado::gpu {
namespace {

// What the choice depends on: the shape, whether C is read, the epilogue, and TF32
// (cuBLAS's math; the small kernel is FP32 always).
using Key = std::tuple<bool, bool, int, int, int, bool, bool, bool, bool>;

std::mutex mutex;
std::map<Key, bool> small_wins;  // whether small_gemm is the faster at a key
GemmPolicy policy = GemmPolicy::timed;

// Products past this many multiply-adds are cuBLAS's without timing: its tiled
// kernels win there (fc6 of AlexNet at batch 256: 2^35) and a timed run of the small
// kernel would cost milliseconds. The grid's y is limited to 65535 tiles of rows.
bool small_fits(int M, int N, int K) {
  return double(M) * N * K <= 1073741824.0 && (M + 15) / 16 <= 65535;
}

}  // namespace

void set_gemm_policy(GemmPolicy p) {
  std::lock_guard<std::mutex> lock(mutex);
  policy = p;
}

void gemm_bias(Trans ta, Trans tb, int M, int N, int K, float alpha, const float* A,
               const float* B, float beta, float* C, const float* bias,
               std::optional<float> relu_slope) {
  if (M <= 0 || N <= 0) return;
  const int lda = ta == Trans::no ? K : M, ldb = tb == Trans::no ? N : K;
  auto by_cublas = [&](float* out) {
    gpu::gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, out, N);
    if (bias || relu_slope) add_channel_bias(M, N, 1, bias, out, relu_slope);
  };
  auto by_small = [&](float* out) {
    small_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, out, N, bias, relu_slope);
  };
  bool small = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const Key key{ta == Trans::yes, tb == Trans::yes, M, N, K, beta != 0.f, bias != nullptr,
                  relu_slope.has_value(), tf32()};
    if (policy == GemmPolicy::small) {
      small = small_fits(M, N, K);
    } else if (policy == GemmPolicy::timed && !deterministic() && small_fits(M, N, K)) {
      auto found = small_wins.find(key);
      if (found == small_wins.end()) {
        // Timed into a scratch Blob (zeroed device memory, which beta 1 reads): C may
        // accumulate, and must be computed once.
        Blob scratch({M, N});
        float* into = scratch.mutable_gpu_data();
        const float cublas_ms = time_ms([&] { by_cublas(into); });
        const float small_ms = time_ms([&] { by_small(into); });
        found = small_wins.emplace(key, small_ms < cublas_ms).first;
        LOG_INFO("GEMM {}x{}x{}{}{}{}{}: cuBLAS{} {:.4f} ms, own small-GEMM kernel {:.4f} ms; "
                 "taking {}",
                 M, N, K, ta == Trans::yes ? ", A transposed" : "",
                 tb == Trans::yes ? ", B transposed" : "", bias ? ", + bias" : "",
                 relu_slope ? ", ReLU" : "", bias || relu_slope ? " and a bias pass" : "",
                 cublas_ms, small_ms, found->second ? "the small-GEMM kernel" : "cuBLAS");
      }
      small = found->second;
    }
  }
  if (small)
    by_small(C);
  else
    by_cublas(C);
}

}  // namespace cortado::gpu
