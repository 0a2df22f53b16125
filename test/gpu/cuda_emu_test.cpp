// cuda_emu (test/support/cuda_emu): the CPU emulator that runs these GPU tests in CI.
// Built only with CORTADO_CUDA=EMU. What it must do for the other tests to mean
// something: run kernels with CUDA's thread model, refuse what a GPU refuses, and
// record and replay graphs.
#ifdef CORTADO_CUDA_EMU
#include <cuda_runtime_api.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <vector>

#include "support/cuda_emu/device.hpp"

namespace {

constexpr int kBlock = 128;

// Each block sums its 128 values through shared memory (a tree with __syncthreads).
void block_sums(const float* x, float* out) {
  __shared__ float part[kBlock];
  part[threadIdx.x] = x[blockIdx.x * kBlock + threadIdx.x];
  __syncthreads();
  for (int s = kBlock / 2; s > 0; s >>= 1) {
    if (static_cast<int>(threadIdx.x) < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = part[0];
}

// Each warp sums its lanes' values with shuffles; lane 0 writes.
void warp_sums(const float* x, float* out) {
  float v = x[threadIdx.x];
  for (int d = 16; d > 0; d /= 2) v += __shfl_down_sync(0xffffffffu, v, d);
  if (threadIdx.x % 32 == 0) out[threadIdx.x / 32] = v;
}

void add_one(int n, float* x) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.f;
}

// Chained kernels (cuda/util/chained.cuh): each thread waits first; the second touches
// memory before its wait; in the third, the threads past n return without waiting.
void add_one_chained(int n, float* x) {
  cudaGridDependencySynchronize();
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.f;
}
void add_one_before_wait(int n, float* x) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += 1.f;
  cudaGridDependencySynchronize();
}
void add_one_some_wait(int n, float* x) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  cudaGridDependencySynchronize();
  x[i] += 1.f;
}

// cudaLaunchKernelEx with programmatic stream serialization set to `chained`.
cudaError_t launch_ex(dim3 grid, dim3 block, bool chained, void (*kernel)(int, float*), int n,
                      float* x) {
  cudaLaunchAttribute chain[1] = {};
  chain[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  chain[0].val.programmaticStreamSerializationAllowed = chained ? 1 : 0;
  const cudaLaunchConfig_t config = {grid, block, 0, nullptr, chain, 1};
  return cudaLaunchKernelEx(&config, kernel, n, x);
}

// Runs body in a child process: whether the emulator stopped it (a signal).
template <class F>
bool stopped_in_child(F body) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  return WIFSIGNALED(status);
}

template <class F, class... A>
void launch(dim3 grid, dim3 block, cudaStream_t s, F f, A... args) {
  cudaemu::launch(cudaemu::Config(grid, block, 0, s), f, args...);
}

float* device_copy(const std::vector<float>& v) {
  void* p = nullptr;
  REQUIRE(cudaMalloc(&p, v.size() * sizeof(float)) == cudaSuccess);
  REQUIRE(cudaMemcpy(p, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  return static_cast<float*>(p);
}

std::vector<float> host_copy(const float* d, size_t n) {
  std::vector<float> v(n);
  REQUIRE(cudaMemcpy(v.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  return v;
}

}  // namespace

TEST_CASE("cuda_emu: block threads meet at __syncthreads, warps exchange by shuffles",
          "[gpu][cuda_emu]") {
  std::vector<float> x(3 * kBlock);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7);
  float* dx = device_copy(x);
  float* dout = device_copy(std::vector<float>(4, 0.f));
  launch(3, kBlock, nullptr, &block_sums, static_cast<const float*>(dx), dout);
  REQUIRE(cudaGetLastError() == cudaSuccess);
  const std::vector<float> sums = host_copy(dout, 3);
  for (int b = 0; b < 3; ++b) {
    float want = 0;
    for (int t = 0; t < kBlock; ++t) want += x[b * kBlock + t];
    CHECK(sums[b] == want);
  }
  launch(1, kBlock, nullptr, &warp_sums, static_cast<const float*>(dx), dout);
  const std::vector<float> warps = host_copy(dout, 4);
  for (int w = 0; w < 4; ++w) {
    float want = 0;
    for (int t = 0; t < 32; ++t) want += x[w * 32 + t];
    CHECK(warps[w] == want);
  }
  cudaFree(dx);
  cudaFree(dout);
}

TEST_CASE("cuda_emu: new device memory is not zero, and a bad launch is a launch error",
          "[gpu][cuda_emu]") {
  void* p = nullptr;
  REQUIRE(cudaMalloc(&p, 16 * sizeof(float)) == cudaSuccess);
  CHECK(std::isnan(host_copy(static_cast<float*>(p), 16)[5]));
  launch(1, 2048, nullptr, &add_one, 16, static_cast<float*>(p));
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  CHECK(cudaGetLastError() == cudaSuccess);
  // A copy whose kind does not match where its pointers are.
  float host[4];
  CHECK(cudaMemcpy(p, host, sizeof host, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
  cudaGetLastError();
  cudaFree(p);
}

TEST_CASE("cuda_emu: host code touching device memory faults, as on a GPU", "[gpu][cuda_emu]") {
  void* p = nullptr;
  REQUIRE(cudaMalloc(&p, 64) == cudaSuccess);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    signal(SIGSEGV, SIG_DFL);
    volatile float v = *static_cast<float*>(p);
    (void)v;
    _exit(0);  // not reached when the read faults
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  cudaFree(p);
}

TEST_CASE("cuda_emu: a kernel writing past the end of its allocation is stopped there",
          "[gpu][cuda_emu]") {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    void* p = nullptr;
    if (cudaMalloc(&p, 16 * sizeof(float)) != cudaSuccess) _exit(2);
    launch(1, 32, nullptr, &add_one, 17, static_cast<float*>(p));  // one element too many
    _exit(0);  // not reached: the write is found when the kernel ends
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
}

TEST_CASE("cuda_emu: a chained kernel waits first, in every thread, or is stopped",
          "[gpu][cuda_emu]") {
  float* dx = device_copy(std::vector<float>(64, 0.f));
  REQUIRE(launch_ex(2, 32, true, &add_one_chained, 40, dx) == cudaSuccess);
  REQUIRE(launch_ex(2, 32, true, &add_one_chained, 40, dx) == cudaSuccess);
  CHECK(host_copy(dx, 40) == std::vector<float>(40, 2.f));
  // Unchained, the wait is a no-op and nothing is asked of the kernel.
  REQUIRE(launch_ex(2, 32, false, &add_one_before_wait, 40, dx) == cudaSuccess);
  REQUIRE(launch_ex(2, 32, false, &add_one_some_wait, 40, dx) == cudaSuccess);
  CHECK(host_copy(dx, 40) == std::vector<float>(40, 4.f));
  // Chained, both break the rule (a GPU may run them beside their predecessor).
  CHECK(stopped_in_child([&] {  // (caught when the first thread to run breaks it)
    launch_ex(2, 32, true, &add_one_before_wait, 64, dx);
    cudaDeviceSynchronize();
  }));
  CHECK(stopped_in_child([&] {
    launch_ex(2, 32, true, &add_one_some_wait, 40, dx);
    cudaDeviceSynchronize();
  }));
  // A launch error is returned, and kept for cudaGetLastError, as CUDA does.
  CHECK(launch_ex(1, 2048, true, &add_one_chained, 40, dx) == cudaErrorInvalidConfiguration);
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  CHECK(cudaGetLastError() == cudaSuccess);
  cudaFree(dx);
}

TEST_CASE("cuda_emu: a capture records kernels for replay and refuses what CUDA refuses",
          "[gpu][cuda_emu]") {
  cudaStream_t s = nullptr;
  REQUIRE(cudaStreamCreate(&s) == cudaSuccess);
  float* dx = device_copy(std::vector<float>(8, 0.f));
  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  launch(1, 8, s, &add_one, 8, dx);
  cudaGraph_t graph = nullptr;
  REQUIRE(cudaStreamEndCapture(s, &graph) == cudaSuccess);
  CHECK(host_copy(dx, 8)[3] == 0.f);  // recorded, not run
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaGraphInstantiateWithFlags(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, s) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, s) == cudaSuccess);
  CHECK(host_copy(dx, 8)[3] == 2.f);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);

  // Allocating, synchronising, a pageable copy or the legacy stream during a capture:
  // refused, and the capture is spoiled.
  void* p = nullptr;
  float pageable[8];
  REQUIRE(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  CHECK(cudaMalloc(&p, 64) == cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamSynchronize(s) == cudaErrorStreamCaptureUnsupported);
  CHECK(cudaMemsetAsync(dx, 0, 8, nullptr) == cudaErrorStreamCaptureImplicit);
  CHECK(cudaMemcpyAsync(pageable, dx, sizeof pageable, cudaMemcpyDeviceToHost, s) ==
        cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated);
  CHECK(graph == nullptr);
  cudaGetLastError();
  cudaFree(dx);
  cudaStreamDestroy(s);
}
TEST_CASE("cuda_emu: queued work runs when waited for, and events order streams",
          "[gpu][cuda_emu]") {
  cudaStream_t s1 = nullptr, s2 = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking) == cudaSuccess);
  REQUIRE(cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking) == cudaSuccess);
  float* dx = device_copy(std::vector<float>(8, 0.f));
  void* pinned = nullptr;
  REQUIRE(cudaMallocHost(&pinned, 8 * sizeof(float)) == cudaSuccess);
  auto* host = static_cast<float*>(pinned);
  host[0] = -1.f;
  launch(1, 8, s1, &add_one, 8, dx);
  REQUIRE(cudaMemcpyAsync(host, dx, 8 * sizeof(float), cudaMemcpyDeviceToHost, s1) == cudaSuccess);
  CHECK(host[0] == -1.f);  // not waited for yet: a GPU may not have run it either
  REQUIRE(cudaStreamSynchronize(s1) == cudaSuccess);
  CHECK(host[0] == 1.f);

  // s2 reads what s1 writes, after waiting on s1's event.
  cudaEvent_t done = nullptr;
  REQUIRE(cudaEventCreateWithFlags(&done, cudaEventDisableTiming) == cudaSuccess);
  launch(1, 8, s1, &add_one, 8, dx);
  REQUIRE(cudaEventRecord(done, s1) == cudaSuccess);
  REQUIRE(cudaStreamWaitEvent(s2, done, 0) == cudaSuccess);
  REQUIRE(cudaMemcpyAsync(host, dx, 8 * sizeof(float), cudaMemcpyDeviceToHost, s2) == cudaSuccess);
  REQUIRE(cudaStreamSynchronize(s2) == cudaSuccess);
  CHECK(host[0] == 2.f);
  cudaEventDestroy(done);
  cudaFreeHost(pinned);
  cudaFree(dx);
  cudaStreamDestroy(s1);
  cudaStreamDestroy(s2);
}
TEST_CASE("cuda_emu: a stream forked from a capture joins its graph and must be joined back",
          "[gpu][cuda_emu]") {
  cudaStream_t main = nullptr, side = nullptr;
  REQUIRE(cudaStreamCreate(&main) == cudaSuccess);
  REQUIRE(cudaStreamCreate(&side) == cudaSuccess);
  cudaEvent_t fork = nullptr, join = nullptr;
  REQUIRE(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming) == cudaSuccess);
  REQUIRE(cudaEventCreateWithFlags(&join, cudaEventDisableTiming) == cudaSuccess);
  float* dx = device_copy(std::vector<float>(8, 0.f));
  float* dy = device_copy(std::vector<float>(8, 0.f));

  // main: x += 1, fork; side: y += 1 twice; main: x += 1; join.
  REQUIRE(cudaStreamBeginCapture(main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  launch(1, 8, main, &add_one, 8, dx);
  REQUIRE(cudaEventRecord(fork, main) == cudaSuccess);
  REQUIRE(cudaStreamWaitEvent(side, fork, 0) == cudaSuccess);
  launch(1, 8, side, &add_one, 8, dy);
  launch(1, 8, side, &add_one, 8, dy);
  launch(1, 8, main, &add_one, 8, dx);
  REQUIRE(cudaEventRecord(join, side) == cudaSuccess);
  REQUIRE(cudaStreamWaitEvent(main, join, 0) == cudaSuccess);
  cudaGraph_t graph = nullptr;
  REQUIRE(cudaStreamEndCapture(main, &graph) == cudaSuccess);
  size_t nodes = 0;
  REQUIRE(cudaGraphGetNodes(graph, nullptr, &nodes) == cudaSuccess);
  CHECK(nodes == 4);  // the kernels: events are edges, not nodes
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaGraphInstantiateWithFlags(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, main) == cudaSuccess);
  CHECK(host_copy(dx, 8)[5] == 2.f);
  CHECK(host_copy(dy, 8)[5] == 2.f);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  // The side stream left the capture with it: its work queues eagerly again.
  launch(1, 8, side, &add_one, 8, dy);
  REQUIRE(cudaStreamSynchronize(side) == cudaSuccess);
  CHECK(host_copy(dy, 8)[5] == 3.f);
  // An event last recorded in a finished capture is good for nothing until recorded again.
  CHECK(cudaStreamWaitEvent(side, fork, 0) == cudaErrorCapturedEvent);
  CHECK(cudaEventSynchronize(fork) == cudaErrorCapturedEvent);
  cudaGetLastError();
  REQUIRE(cudaEventRecord(fork, main) == cudaSuccess);
  CHECK(cudaStreamWaitEvent(side, fork, 0) == cudaSuccess);
  CHECK(cudaEventSynchronize(fork) == cudaSuccess);

  // Forked, but the origin never waited for the side stream's last work: unjoined.
  REQUIRE(cudaStreamBeginCapture(main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  REQUIRE(cudaEventRecord(fork, main) == cudaSuccess);
  REQUIRE(cudaStreamWaitEvent(side, fork, 0) == cudaSuccess);
  launch(1, 8, side, &add_one, 8, dy);
  REQUIRE(cudaEventRecord(join, side) == cudaSuccess);
  REQUIRE(cudaStreamWaitEvent(main, join, 0) == cudaSuccess);
  launch(1, 8, side, &add_one, 8, dy);  // after the join
  CHECK(cudaStreamEndCapture(main, &graph) == cudaErrorStreamCaptureUnjoined);
  CHECK(graph == nullptr);
  cudaGetLastError();
  // ...and a forked stream cannot end the capture itself.
  REQUIRE(cudaStreamBeginCapture(main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  REQUIRE(cudaEventRecord(fork, main) == cudaSuccess);
  REQUIRE(cudaStreamWaitEvent(side, fork, 0) == cudaSuccess);
  CHECK(cudaStreamEndCapture(side, &graph) == cudaErrorStreamCaptureUnmatched);
  CHECK(cudaStreamEndCapture(main, &graph) == cudaSuccess);
  cudaGraphDestroy(graph);
  cudaGetLastError();
  CHECK(host_copy(dy, 8)[5] == 3.f);  // the captures' work never ran
  cudaEventDestroy(fork);
  cudaEventDestroy(join);
  cudaFree(dx);
  cudaFree(dy);
  cudaStreamDestroy(main);
  cudaStreamDestroy(side);
}
#endif  // CORTADO_CUDA_EMU
