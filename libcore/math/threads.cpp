#include "math/threads.hpp"

#include <omp.h>

#include <Eigen/Core>

namespace cortado {

void set_cpu_threads(int n) {
  if (n < 1) n = 1;
  omp_set_num_threads(n);
  Eigen::setNbThreads(n);
}

int cpu_threads() { return omp_get_max_threads(); }

}  // namespace cortado
