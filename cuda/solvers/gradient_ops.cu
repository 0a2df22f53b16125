#include <cuda_runtime_api.h>

#include "cuda/solvers/gradient_ops.hpp"
#include "cuda/solvers/slot_table.cuh"
#include "cuda/util/chained.cuh"
#include "cuda/util/check.hpp"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

// Blocks of the first reduction pass; a fixed cap keeps the partial count (and so
// the summation order) a function of n alone.
constexpr int kMaxPartials = 1024;

// 16-byte slots: 128 of them keep the kernel argument near 2.5 KB.
constexpr int kMaxZeroSlots = 128;
using ZeroTable = SlotTable<DeviceArray, kMaxZeroSlots>;

__global__ void zero_kernel(ZeroTable table) {
  chain_wait();
  const SlotSpan span = slot_span(table, blockIdx.x, threadIdx.x, blockDim.x);
  const DeviceArray& a = table.slot[span.slot];
  for (int64_t i = span.first; i < a.count; i += span.stride) a.data[i] = 0.f;
}

__global__ void scale_kernel(int64_t n, float* x, float s) {
  chain_wait();
  CORTADO_KERNEL_LOOP(i, n) { x[i] *= s; }
}

// Sums the block's kThreads values of `s` into s[0]; blockDim.x must be kThreads.
__device__ void block_sum(double* s) {
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) s[threadIdx.x] += s[threadIdx.x + half];
    __syncthreads();
  }
}

// Pass 1: each block's share of sum(x^2), one partial per block.
__global__ void sumsq_partials_kernel(int64_t n, const float* x, double* partials) {
  chain_wait();
  __shared__ double s[kThreads];
  double acc = 0.0;
  CORTADO_KERNEL_LOOP(i, n) {
    const double v = x[i];
    acc += v * v;
  }
  s[threadIdx.x] = acc;
  __syncthreads();
  block_sum(s);
  if (threadIdx.x == 0) partials[blockIdx.x] = s[0];
}

// Pass 2, one block: the partials summed into *out.
__global__ void sum_partials_kernel(int count, const double* partials, double* out) {
  chain_wait();
  __shared__ double s[kThreads];
  double acc = 0.0;
  for (int i = threadIdx.x; i < count; i += kThreads) acc += partials[i];
  s[threadIdx.x] = acc;
  __syncthreads();
  block_sum(s);
  if (threadIdx.x == 0) *out = s[0];
}

int partial_blocks(int n) { return std::min(blocks_for(n), kMaxPartials); }

// sums_of_squares' device scratch: its own rather than the convolutions' workspace,
// whose limit is the user's (--gpu-workspace). Grown as needed; each use ends with a
// stream sync, so the old buffer is free to go. Only the training thread calls it.
double* sums_scratch(size_t slots) {
  static void* buffer = nullptr;
  static size_t bytes = 0;
  const size_t need = slots * sizeof(double);
  if (need > bytes) {
    if (buffer) check(cudaFree(buffer), "cudaFree");
    buffer = nullptr;
    bytes = 0;
    buffer = device_malloc(need);
    bytes = need;
  }
  return static_cast<double*>(buffer);
}

__global__ void scale_by_device_kernel(int64_t n, float* x, const float* s) {
  chain_wait();
  const float f = *s;
  CORTADO_KERNEL_LOOP(i, n) { x[i] *= f; }
}

// One thread: UpdateRule::clip_scale's arithmetic on the k sums.
__global__ void clip_scale_kernel(int k, const double* sums, float clip, float* out) {
  chain_wait();
  float sumsq = 0.f;
  for (int j = 0; j < k; ++j) sumsq += static_cast<float>(sums[j]);
  const float norm = sqrtf(sumsq);
  out[0] = norm > clip ? clip / norm : 1.f;
  out[1] = norm;
}

size_t partial_slots(int n) { return n > 0 ? static_cast<size_t>(partial_blocks(n)) : 0; }

using Arrays = std::vector<std::pair<const float*, int>>;

// Scratch layout of the sums: one result per array, then each array's partials.
size_t scratch_slots(const Arrays& arrays) {
  size_t slots = arrays.size();
  for (const auto& a : arrays) slots += partial_slots(a.second);
  return slots;
}

// Queues results[j] = the sum of squares of arrays[j], its partials after the results.
void queue_sums_of_squares(const Arrays& arrays, double* results) {
  const size_t k = arrays.size();
  if (k == 0) return;
  cudaStream_t stream = Context::get().stream();
  check(cudaMemsetAsync(results, 0, k * sizeof(double), stream), "cudaMemsetAsync");
  double* partials = results + k;
  for (size_t j = 0; j < k; ++j) {
    const int n = arrays[j].second;
    if (n <= 0) continue;
    const int blocks = partial_blocks(n);
    launch("sumsq_partials", sumsq_partials_kernel, blocks, kThreads, stream, n, arrays[j].first,
           partials);
    launch("sum_partials", sum_partials_kernel, 1, kThreads, stream, blocks, partials, results + j);
    partials += blocks;
  }
}

}  // namespace

void set_zero(int n, float* x) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  check(cudaMemsetAsync(x, 0, static_cast<size_t>(n) * sizeof(float), ctx.stream()),
        "cudaMemsetAsync");
}

void set_zero(const std::vector<DeviceArray>& arrays) {
  cudaStream_t stream = Context::get().stream();
  for_each_slot_table<kMaxZeroSlots>(arrays, [&](const ZeroTable& table, int blocks) {
    launch("set_zero", zero_kernel, blocks, kThreads, stream, table);
  });
}

void scale(int n, float* x, float s) {
  if (n <= 0) return;
  Context& ctx = Context::get();
  launch("scale", scale_kernel, blocks_for(n), kThreads, ctx.stream(), n, x, s);
}

std::vector<double> sums_of_squares(const std::vector<std::pair<const float*, int>>& arrays) {
  const size_t k = arrays.size();
  std::vector<double> sums(k, 0.0);
  if (k == 0) return sums;
  Context& ctx = Context::get();
  double* results = sums_scratch(scratch_slots(arrays));
  queue_sums_of_squares(arrays, results);
  check(cudaMemcpyAsync(sums.data(), results, k * sizeof(double), cudaMemcpyDeviceToHost,
                        ctx.stream()),
        "cudaMemcpyAsync (sums of squares to the host)");
  check(cudaStreamSynchronize(ctx.stream()), "cudaStreamSynchronize");
  return sums;
}

void scale_by_device(int n, float* x, const float* s) {
  if (n <= 0) return;
  launch("scale_by_device", scale_by_device_kernel, blocks_for(n), kThreads,
         Context::get().stream(), n, x, s);
}

size_t clip_scratch_bytes(const std::vector<int>& counts) {
  size_t slots = counts.size();
  for (int n : counts) slots += partial_slots(n);
  return slots * sizeof(double);
}

void clip_scale_on_device(const std::vector<std::pair<const float*, int>>& arrays, float clip,
                          void* scratch, float* out) {
  const int k = static_cast<int>(arrays.size());
  double* results = static_cast<double*>(scratch);
  queue_sums_of_squares(arrays, results);
  launch("clip_scale", clip_scale_kernel, 1, 1, Context::get().stream(), k, results, clip, out);
}

}  // namespace cortado::gpu
