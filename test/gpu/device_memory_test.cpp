// Device memory under Blob/SyncedMemory: copies both ways, zeroed allocations,
// out-of-memory as an Error.
#include "gpu_test_util.hpp"

#ifdef CORTADO_WITH_CUDA
#include <cuda_runtime_api.h>

#include "blob/blob.hpp"
#include "blob/device_memory.hpp"
#include "support/gradient_checker.hpp"
#include "util/error.hpp"
#endif

namespace cortado::test {

TEST_CASE("GPU memory round-trips through a blob", "[gpu][memory]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  Blob a({3, 1001}), b({3, 1001});
  fill_gaussian(a, 0.f, 1.f, 1701);
  // a: host -> device; device copy into b; b: device -> host.
  REQUIRE(cudaMemcpy(b.mutable_gpu_data(), a.gpu_data(), a.count() * sizeof(float),
                     cudaMemcpyDeviceToDevice) == cudaSuccess);
  for (int i = 0; i < a.count(); ++i) REQUIRE(b.data()[i] == a.data()[i]);
  // A blob first touched on the device starts zeroed, as on the host.
  Blob z({777});
  z.mutable_gpu_diff();
  for (int i = 0; i < z.count(); ++i) REQUIRE(z.diff()[i] == 0.f);
#endif
}

TEST_CASE("GPU out of memory is an Error naming the device and the size", "[gpu][memory]") {
  SKIP_WITHOUT_GPU();
#ifdef CORTADO_WITH_CUDA
  const size_t too_much = size_t{1} << 52;  // 4.5 PB
  REQUIRE_THROWS_WITH(device::alloc_zeroed(too_much),
                      Catch::StartsWith("GPU 0 (") &&
                          Catch::Contains("out of memory allocating 4.5 PB"));
  // The failure is not sticky: the device still works.
  void* p = device::alloc_zeroed(4096);
  REQUIRE(p != nullptr);
  device::free(p);
#endif
}

}  // namespace cortado::test
