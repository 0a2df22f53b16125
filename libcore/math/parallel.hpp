#pragma once
// When libcore's loops go parallel, and the loop shape of the elementwise layers.
namespace cortado {

// Below about this many values a loop stays on one thread: starting a parallel
// region costs more than it saves.
constexpr long kParallelMin = 1L << 15;

// f(i) for every i < n, split over libcore's threads for large blobs. Each element
// is independent, so the result does not depend on the thread count.
template <class F>
void for_each_element(long n, F f) {
#pragma omp parallel for simd schedule(static) if (n >= kParallelMin)
  for (long i = 0; i < n; ++i) f(i);
}

}  // namespace cortado
