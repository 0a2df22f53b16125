#include "cuda/util/device_query.hpp"

#include <cuda_runtime_api.h>

#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/side_work.hpp"
#include "util/error.hpp"

namespace cortado::gpu {

int device_count(std::string* why) {
  int n = 0;
  const cudaError_t status = cudaGetDeviceCount(&n);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (why) *why = cudaGetErrorString(status);
    return 0;
  }
  return n;
}

std::string device_name(int id) {
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, id), "cudaGetDeviceProperties");
  return prop.name;
}

void select_device(int id) {
  int mode = cudaComputeModeDefault;
  check(cudaDeviceGetAttribute(&mode, cudaDevAttrComputeMode, id), "reading the compute mode");
  if (mode == cudaComputeModeProhibited)
    throw Error(device_label(id),
                "the device is in compute mode 'prohibited' (nvidia-smi -c); choose another "
                "with --gpu");
  use_device(id);
  Context::get();
}

void wait_for_stream() {
  join_side_work();
  check(cudaStreamSynchronize(Context::get().stream()), "waiting for the GPU");
}

}  // namespace cortado::gpu
