#include "util/gpu_flags.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

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
  app.add_option("--gpu-workspace", flags.workspace_mb,
                 "GPU only: MiB of scratch memory a convolution may use (default 1024; the "
                 "parameter gradients' stream has as much again); less may leave cuDNN slower "
                 "algorithms")
      ->check(CLI::Range(0, 1 << 24, "MiB from 0 to 16777216"));
}

void add_cuda_graph_flag(CLI::App& app, bool& no_cuda_graph) {
  app.add_flag("--no-cuda-graph", no_cuda_graph,
               "GPU only: launch each training iteration's kernels one by one instead of "
               "replaying a captured CUDA graph");
}

void apply_gpu_math_flags(const GpuMathFlags& flags, const DeviceChoice& device) {
  if (!device.gpu) {
    std::vector<std::string> given;
    if (flags.deterministic) given.push_back("--deterministic");
    if (flags.tf32) given.push_back("--tf32");
    if (flags.workspace_mb >= 0) given.push_back("--gpu-workspace");
    std::string names;
    for (size_t i = 0; i < given.size(); ++i)
      names += (i == 0 ? "" : i + 1 == given.size() ? " and " : ", ") + given[i];
    if (!given.empty())
      LOG_INFO("{} only affect{} GPU runs; this run uses the CPU", names,
               given.size() > 1 ? "" : "s");
    return;
  }
#ifdef CORTADO_WITH_CUDA
  gpu::set_deterministic(flags.deterministic);
  gpu::set_tf32(flags.tf32);
  gpu::Context& ctx = gpu::Context::get();
  if (flags.workspace_mb >= 0) ctx.set_workspace_limit(size_t(flags.workspace_mb) << 20);
  LOG_INFO(
      "GPU math: {}, {}, convolution workspace up to {} MiB",
      flags.tf32 ? "TF32 tensor cores for FP32 products" : "FP32 (TF32 off)",
      flags.deterministic ? "deterministic algorithms only" : "nondeterministic algorithms allowed",
      ctx.workspace_limit() >> 20);
#endif
}

}  // namespace cortado
