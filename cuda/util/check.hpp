#pragma once
// Turning CUDA, cuBLAS and allocation failures into cortado::Error: a GPU that is
// missing, full or busy is the user's environment, and the message names the
// device ("GPU 0 (NVIDIA H100 80GB HBM3): out of memory allocating 2.1 GB ...").
#include <cstddef>
#include <string>

#include <cuda_runtime_api.h>

namespace cortado::gpu {

// "GPU 0 (NVIDIA H100 80GB HBM3)"; just "GPU 0" when the runtime cannot name it.
std::string device_label(int id);
// "2.1 GB", "512 kB", "12 B" (decimal units, as nvidia-smi's users read them).
std::string format_bytes(size_t bytes);

// Throws an Error naming the current device and `what` unless status is cudaSuccess.
void check(cudaError_t status, const char* what);
// The same for a kernel's launch (gpu::launch, cuda/util/chained.cuh).
void check_launch(const char* kernel, cudaError_t status);

// cudaMalloc that reports an out-of-memory as an Error with the size asked and the
// memory free; `bytes` == 0 gives nullptr.
void* device_malloc(size_t bytes);

}  // namespace cortado::gpu
