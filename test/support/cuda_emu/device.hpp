#pragma once
// cuda_emu: CUDA on the CPU, for testing the GPU backend where no GPU is lent.
//
// CI has nvcc but no GPU, and the device machine is lent to few sessions, so without
// this the kernels, the stream and graph logic and the host/device bookkeeping of
// cuda/ would first run on a real card. With CORTADO_CUDA=EMU the same sources are
// built by g++: each .cu/.cuh is copied with its `k<<<grid, block, shm, s>>>(args)`
// launches rewritten into cudaemu::launch (cmake/cuda_emu.cmake), and this header is
// included first. Every CUDA thread runs as a fiber, so __syncthreads and warp
// shuffles behave as on the device; blocks run one after another. "Device" memory
// lives in an arena that the host cannot touch outside kernels and copies, so host
// code reading a device pointer fails at once, as it would on a GPU. Streams run
// their work when it is queued; a capturing stream records it into a graph instead,
// and the calls CUDA forbids during a capture fail as CUDA's do. cuBLAS's SGEMM and
// cuDNN's convolutions are computed on the CPU.
//
// It checks our logic, not NVIDIA's hardware: races between blocks, memory ordering
// and speed are not modelled.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time on a host thread: a block's shared arrays are statics of
// that thread.
#define __shared__ static thread_local

struct uint3 {
  unsigned int x, y, z;
};

namespace cudaemu {

extern thread_local uint3 thread_idx;
extern thread_local uint3 block_idx;
extern thread_local dim3 block_dim;
extern thread_local dim3 grid_dim;

struct Config {
  dim3 grid, block;
  size_t shared;
  cudaStream_t stream;
  bool chained = false;  // programmatic stream serialization (cudaLaunchKernelEx)
  Config(dim3 g, dim3 b, size_t shm = 0, cudaStream_t s = nullptr)
      : grid(g), block(b), shared(shm), stream(s) {}
};

// Runs body(arg) for every thread of the grid, each CUDA thread as a fiber.
void run_grid(const Config& c, void (*body)(const void*), const void* arg);
// Queues op on the stream (runs it now, or records it when the stream captures);
// an invalid configuration becomes the launch error cudaGetLastError reports. Returns
// this launch's error.
cudaError_t queue_kernel(const Config& c, void (*op)(const void*), const void* closure,
                         void* (*copy)(const void*), void (*destroy)(void*));
// A pointer argument must point into device (or pinned host) memory, as on a GPU.
void check_kernel_pointer(const void* p, int arg);

// A chained kernel (launched with programmatic stream serialization) may start while the
// kernel before it still runs, so it must not touch device memory before
// cudaGridDependencySynchronize, and every thread must call it (a kernel's end then
// implies its predecessors' end). While one runs here, device memory stays closed until
// the first call, so the first thread to run (the last thread of the last block) faults
// if it touches memory before waiting, naming the rule; and at the kernel's end every
// thread must have called it.
void begin_chained_kernel(unsigned long long threads);
void end_chained_kernel();
void chained_kernel_waits();

void sync_block();
void sync_warp();
uint64_t exchange_in_warp(uint64_t bits, int src_lane);  // src_lane < 0: own value
int lane_id();

template <class T>
T shuffle(T v, int src_lane) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a scalar");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = exchange_in_warp(bits, src_lane);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

template <class T>
void check_pointers_of(const T& a, int i) {
  if constexpr (std::is_pointer<T>::value) check_kernel_pointer(static_cast<const void*>(a), i);
}

template <class F, class... A>
struct Launch {
  Config config;
  F kernel;
  std::tuple<A...> args;

  static void thread_body(const void* self) {
    const Launch* l = static_cast<const Launch*>(self);
    std::apply(l->kernel, l->args);
  }
  static void run(const void* self) {
    const Launch* l = static_cast<const Launch*>(self);
    std::apply(
        [](const auto&... a) {
          int i = 0;
          (check_pointers_of(a, i++), ...);
        },
        l->args);
    if (!l->config.chained) return run_grid(l->config, &thread_body, self);
    const Config& c = l->config;
    begin_chained_kernel(static_cast<unsigned long long>(c.grid.x) * c.grid.y * c.grid.z *
                         c.block.x * c.block.y * c.block.z);
    run_grid(c, &thread_body, self);
    end_chained_kernel();
  }
  static void* copy(const void* self) { return new Launch(*static_cast<const Launch*>(self)); }
  static void destroy(void* self) { delete static_cast<Launch*>(self); }
};

// What `kernel<<<grid, block, shm, stream>>>(args...)` becomes: the arguments are
// copied now (as CUDA copies them at the launch) and the kernel runs from the queue.
template <class F, class... A>
cudaError_t launch(Config c, F kernel, A... args) {
  Launch<F, A...> l{c, kernel, std::tuple<A...>(args...)};
  return queue_kernel(c, &Launch<F, A...>::run, &l, &Launch<F, A...>::copy,
                      &Launch<F, A...>::destroy);
}

}  // namespace cudaemu

// The runtime's typed cudaLaunchKernelEx: the arguments converted to the kernel's
// parameter types, as CUDA's template does. The launch error is returned and also kept
// for cudaGetLastError, as the runtime keeps a failed call's.
template <class... P, class... A>
cudaError_t cudaLaunchKernelEx(const cudaLaunchConfig_t* config, void (*kernel)(P...),
                               A&&... args) {
  ::cudaemu::Config c(config->gridDim, config->blockDim, config->dynamicSmemBytes, config->stream);
  for (unsigned int i = 0; i < config->numAttrs; ++i)
    if (config->attrs[i].id == cudaLaunchAttributeProgrammaticStreamSerialization)
      c.chained = config->attrs[i].val.programmaticStreamSerializationAllowed != 0;
  return ::cudaemu::launch(c, kernel, static_cast<P>(std::forward<A>(args))...);
}

// Device side of chained launches (see begin_chained_kernel).
inline void cudaGridDependencySynchronize() { ::cudaemu::chained_kernel_waits(); }
// Only lets the next kernel start early on a GPU: nothing to do here, where kernels run
// one after the other.
inline void cudaTriggerProgrammaticLaunchCompletion() {}

#define threadIdx (::cudaemu::thread_idx)
#define blockIdx (::cudaemu::block_idx)
#define blockDim (::cudaemu::block_dim)
#define gridDim (::cudaemu::grid_dim)
constexpr int warpSize = 32;

inline void __syncthreads() { ::cudaemu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { ::cudaemu::sync_warp(); }

template <class T>
T __shfl_sync(unsigned, T v, int src, int width = 32) {
  const int lane = ::cudaemu::lane_id();
  return ::cudaemu::shuffle(v, lane / width * width + (src % width + width) % width);
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  const int lane = ::cudaemu::lane_id();
  const int in_segment = lane % width + static_cast<int>(delta);
  return ::cudaemu::shuffle(v, in_segment < width ? lane + static_cast<int>(delta) : -1);
}
template <class T>
T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
  const int lane = ::cudaemu::lane_id();
  const int in_segment = lane % width - static_cast<int>(delta);
  return ::cudaemu::shuffle(v, in_segment >= 0 ? lane - static_cast<int>(delta) : -1);
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  const int lane = ::cudaemu::lane_id();
  const int src = lane ^ mask;
  return ::cudaemu::shuffle(v, src / width == lane / width ? src : -1);
}

// Blocks run one at a time and a block's threads take turns, so a read-modify-write
// is atomic here.
template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
template <class T>
T atomicMin(T* p, T v) {
  const T old = *p;
  if (v < old) *p = v;
  return old;
}
template <class T>
T atomicMax(T* p, T v) {
  const T old = *p;
  if (old < v) *p = v;
  return old;
}
template <class T>
T atomicExch(T* p, T v) {
  const T old = *p;
  *p = v;
  return old;
}
template <class T>
T atomicCAS(T* p, T compare, T v) {
  const T old = *p;
  if (old == compare) *p = v;
  return old;
}

// CUDA's device math in the global namespace, as nvcc has it.
using std::isfinite;
using std::isinf;
using std::isnan;
using std::max;
using std::min;
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
// Rounded as written (nvcc never fuses these into an FMA); the host compiler may
// still fuse around them, which the tests' tolerances allow.
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __int_as_float(int v) {
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}
inline int __float_as_int(float v) {
  int i;
  std::memcpy(&i, &v, 4);
  return i;
}
