#include "cuda/util/check.hpp"

#include <cstdio>

#include "util/error.hpp"

namespace cortado::gpu {
namespace {

int current_device() {
  int id = 0;
  if (cudaGetDevice(&id) != cudaSuccess) {
    cudaGetLastError();  // clear it: the caller's error is the one to report
    return 0;
  }
  return id;
}

}  // namespace

std::string device_label(int id) {
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, id) != cudaSuccess) {
    cudaGetLastError();
    return "GPU " + std::to_string(id);
  }
  return "GPU " + std::to_string(id) + " (" + prop.name + ")";
}

std::string format_bytes(size_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // a non-sticky error must not resurface at the next call
  throw Error(device_label(current_device()),
              std::string(what) + " failed: " + cudaGetErrorString(status));
}

void check_launch(const char* kernel, cudaError_t status) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // as check()
  throw Error(device_label(current_device()),
              std::string("kernel ") + kernel + " did not launch: " + cudaGetErrorString(status));
}

void* device_malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_bytes = 0, total = 0;
    std::string room;
    if (cudaMemGetInfo(&free_bytes, &total) == cudaSuccess)
      room = " (" + format_bytes(free_bytes) + " free of " + format_bytes(total) + ")";
    cudaGetLastError();
    throw Error(device_label(current_device()),
                "out of memory allocating " + format_bytes(bytes) + room +
                    "; use a smaller batch_size or net, or another GPU (--gpu N)");
  }
  check(status, "cudaMalloc");
  return p;
}

}  // namespace cortado::gpu
