#include "math/threads.hpp"

#include <omp.h>

namespace cortado {

// Eigen's GEMM (both builds of it, math/gemm_isa.hpp) asks OpenMP for its
// thread count, so this one setting governs every parallel loop of libcore.
void set_cpu_threads(int n) { omp_set_num_threads(n < 1 ? 1 : n); }

int cpu_threads() { return omp_get_max_threads(); }

}  // namespace cortado
