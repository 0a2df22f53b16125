#pragma once
// How many CPU threads libcore's math uses (Eigen's GEMM and the OpenMP loops of
// im2col, pooling, ...). The default is OpenMP's: OMP_NUM_THREADS or every core.
namespace cortado {

void set_cpu_threads(int n);
int cpu_threads();

}  // namespace cortado
