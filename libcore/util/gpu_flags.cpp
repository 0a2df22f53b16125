#include "util/gpu_flags.hpp"

#include <CLI/CLI.hpp>

#include "util/device.hpp"
#include "util/log.hpp"

#ifdef CORTADO_WITH_CUDA
#include "cuda/util/context.hpp"
#endif

namespace cortado {

void add_gpu_math_flags(CLI::App& app, GpuMathFlags& flags) {
  app.add_flag("--deterministic", flags.deterministic,
               "GPU only: deterministic algorithms, so a rerun gives the same bits (slower)");
  app.add_flag("--tf32", flags.tf32,
               "GPU only: TF32 tensor cores for FP32 GEMMs and convolutions (faster; inputs "
               "rounded to 10 mantissa bits)");
}

void add_cuda_graph_flag(CLI::App& app, bool& no_cuda_graph) {
  app.add_flag("--no-cuda-graph", no_cuda_graph,
               "GPU only: launch each training iteration's kernels one by one instead of "
               "replaying a captured CUDA graph");
}

void apply_gpu_math_flags(const GpuMathFlags& flags, const DeviceChoice& device) {
  if (!device.gpu) {
    if (flags.deterministic || flags.tf32)
      LOG_INFO("{}{}{} only affect{} GPU runs; this run uses the CPU",
               flags.deterministic ? "--deterministic" : "",
               flags.deterministic && flags.tf32 ? " and " : "", flags.tf32 ? "--tf32" : "",
               flags.deterministic && flags.tf32 ? "" : "s");
    return;
  }
#ifdef CORTADO_WITH_CUDA
  gpu::set_deterministic(flags.deterministic);
  gpu::set_tf32(flags.tf32);
  LOG_INFO("GPU math: {}, {}",
           flags.tf32 ? "TF32 tensor cores for FP32 products" : "FP32 (TF32 off)",
           flags.deterministic ? "deterministic algorithms only"
                               : "nondeterministic algorithms allowed");
#endif
}

}  // namespace cortado
