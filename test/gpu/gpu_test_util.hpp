#pragma once
// Shared by the GPU tests. Each test that needs a device starts with
// SKIP_WITHOUT_GPU(): on a machine (or build) without one it passes with a
// warning, so CI stays green and says the GPU paths were not exercised.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "util/device.hpp"

#ifdef CORTADO_WITH_CUDA
#define CORTADO_NO_GPU_REASON "no CUDA device: GPU test skipped"
#else
#define CORTADO_NO_GPU_REASON "built without CUDA: GPU test skipped"
#endif

#define SKIP_WITHOUT_GPU()                    \
  do {                                        \
    if (!::cortado::gpu_available()) {        \
      WARN(CORTADO_NO_GPU_REASON);            \
      return;                                 \
    }                                         \
  } while (0)

namespace cortado::test {

// |got - want| <= rel * max(1, |want|), element by element, naming the first miss.
inline void require_close(const float* got, const float* want, int n, float rel) {
  for (int i = 0; i < n; ++i) {
    const float tol = rel * std::fmax(1.f, std::fabs(want[i]));
    if (!(std::fabs(got[i] - want[i]) <= tol)) {
      INFO("element " << i << " of " << n);
      REQUIRE(got[i] == Approx(want[i]).margin(tol));
    }
  }
}

}  // namespace cortado::test
