#pragma once
// How cuda/'s kernels start: gpu::launch chains each kernel to the kernel before it on
// its stream, CUDA's programmatic dependent launch (compute capability 9.0 and newer).
// A small net's step is a chain of kernels of a few microseconds each; unchained, each
// one starts only after the one before has ended and its writes have been flushed, a
// gap of about a microsecond each time. Chained, a kernel's blocks are placed on the
// SMs while the one before still runs, and wait there (chain_wait) until it has
// finished. Work other than our kernels (copies, memsets, events, cuBLAS and cuDNN)
// keeps the usual full ordering; in a captured graph the chains become programmatic
// edges. Included by .cu files only (device code).
//
//   __global__ void k(int n, float* x) {
//     chain_wait();  // first, in every thread, before any device memory is touched
//     ...
//   }
//   gpu::launch("k", k, grid, block, stream, n, x);
#include <cuda_runtime.h>

#include "cuda/util/chained.hpp"
#include "cuda/util/check.hpp"
#include "cuda/util/launch.cuh"

namespace cortado::gpu {

// The first statement of every kernel started by gpu::launch, in every thread: waits
// until the kernel before it on the stream has finished and its writes are visible
// (nothing before this may read or write device memory: a chained kernel's blocks may
// start while the one before still runs), then lets the next one place its blocks.
// Every kernel waits, so each one's end also means its predecessors' end. For a kernel
// started unchained both are no-ops.
__device__ __forceinline__ void chain_wait() {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
  cudaGridDependencySynchronize();
  cudaTriggerProgrammaticLaunchCompletion();
#endif
}

// kernel<<<grid, block, 0, stream>>>(args...), chained where chained_launches(); an
// Error naming `name` and the device if it does not start.
template <class... P, class... A>
void launch(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, cudaStream_t stream,
            const A&... args) {
  cudaLaunchAttribute chain[1] = {};
  chain[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  chain[0].val.programmaticStreamSerializationAllowed = 1;
  // (in order: grid, block, dynamic shared memory, stream, attributes; by position, as
  // the emulator has gridDim and blockDim as macros)
  const cudaLaunchConfig_t config = {grid, block, 0, stream, chain, chained_launches() ? 1u : 0u};
  check_launch(name, cudaLaunchKernelEx(&config, kernel, args...));
}

}  // namespace cortado::gpu
