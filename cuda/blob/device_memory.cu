// Device memory for SyncedMemory (declared in libcore/blob/device_memory.hpp).
// Everything is queued on the context's stream, so it is ordered with our kernels;
// copies to the host wait for that stream, since the host reads right after, and
// copies to or from the host first join the side stream's work (parameter gradients
// may still be computed there: cuda/util/side_work.hpp). Copies on the device do not:
// Split, Bias and BatchNorm make them in the middle of backward, from and to blobs the
// side stream neither reads nor writes.
#include <cuda_runtime_api.h>

#include "blob/device_memory.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"
#include "cuda/util/side_work.hpp"

namespace cortado::device {

void* alloc_zeroed(size_t bytes) {
  gpu::Context& ctx = gpu::Context::get();
  void* p = gpu::device_malloc(bytes);
  if (p) gpu::check(cudaMemsetAsync(p, 0, bytes, ctx.stream()), "cudaMemset");
  return p;
}

void free(void* p) {
  // Called from destructors, also at exit after CUDA has shut down: never throw.
  if (p && cudaFree(p) != cudaSuccess) cudaGetLastError();
}

void copy_to_host(void* host, const void* dev, size_t bytes) {
  gpu::Context& ctx = gpu::Context::get();
  gpu::join_side_work();
  gpu::check(cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, ctx.stream()),
             "cudaMemcpy to the host");
  gpu::check(cudaStreamSynchronize(ctx.stream()), "waiting for the GPU");
}

void copy_to_device(void* dev, const void* host, size_t bytes) {
  gpu::Context& ctx = gpu::Context::get();
  gpu::join_side_work();  // side work queued earlier may still write there
  gpu::check(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, ctx.stream()),
             "cudaMemcpy to the device");
  // The host buffer is pageable and may be changed as soon as we return.
  gpu::check(cudaStreamSynchronize(ctx.stream()), "waiting for the GPU");
}

void copy_on_device(void* to, const void* from, size_t bytes) {
  gpu::Context& ctx = gpu::Context::get();
  gpu::check(cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToDevice, ctx.stream()),
             "cudaMemcpy on the device");
}

}  // namespace cortado::device
