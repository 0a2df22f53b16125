#include <atomic>

#include "cuda/util/chained.cuh"
#include "cuda/util/context.hpp"

namespace cortado::gpu {
namespace {

std::atomic<bool> chaining{true};
thread_local int plain_scopes = 0;

// Stands for every kernel of cuda/: built for the same architectures in the same way.
__global__ void probe_kernel() { chain_wait(); }

// Whether the code that will run has chain_wait's instructions: built (or JIT-compiled
// from PTX) for compute capability 9.0 or more. A build for older cards only, run on a
// newer one, compiles chain_wait to nothing: its kernels must not be chained.
bool kernels_wait() {
  static const bool yes = [] {
    cudaFuncAttributes a{};
    if (cudaFuncGetAttributes(&a, probe_kernel) != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    return a.ptxVersion >= 90 && a.binaryVersion >= 90;
  }();
  return yes;
}

}  // namespace

bool chained_launches() {
  return plain_scopes == 0 && chaining.load(std::memory_order_relaxed) && Context::get().chains() &&
         kernels_wait();
}

void set_chained_launches(bool on) { chaining.store(on, std::memory_order_relaxed); }

PlainLaunches::PlainLaunches(bool active) : active_(active) {
  if (active_) ++plain_scopes;
}

PlainLaunches::~PlainLaunches() {
  if (active_) --plain_scopes;
}

}  // namespace cortado::gpu
