// Without the CUDA backend there is no device memory; asking for it is a user
// error (a --gpu flag on a CPU-only build), not a crash.
#include "blob/device_memory.hpp"
#include "util/error.hpp"

#ifndef CORTADO_WITH_CUDA
namespace cortado::device {
[[noreturn]] static void no_gpu() {
  throw Error("this Cortado was built without the CUDA backend; drop --gpu or rebuild with nvcc");
}
void* alloc_zeroed(size_t) { no_gpu(); }
void free(void*) {}
void copy_to_host(void*, const void*, size_t) { no_gpu(); }
void copy_to_device(void*, const void*, size_t) { no_gpu(); }
void copy_on_device(void*, const void*, size_t) { no_gpu(); }
}  // namespace cortado::device
#endif
