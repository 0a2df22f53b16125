#pragma once
// The --deterministic, --tf32 and --gpu-workspace flags of every tool that runs a net
// (train, resume, finetune, test, time, classify), declared once so their names and
// help stay the same everywhere. They only change how the GPU computes; on the CPU
// they are accepted and a note says so.
namespace CLI {
class App;
}

namespace cortado {

struct DeviceChoice;

struct GpuMathFlags {
  bool deterministic = false;  // deterministic GPU algorithms only (cuDNN's choice)
  bool tf32 = false;           // TF32 tensor-core math for FP32 products (cuBLAS, cuDNN)
  int workspace_mb = -1;       // cuDNN's scratch limit in MiB; -1: the default (1 GiB)
};

void add_gpu_math_flags(CLI::App& app, GpuMathFlags& flags);
// Call after activate_device: on a GPU, records the settings process-wide (the GPU
// context reads them; set before the first forward pass) and logs them; on the CPU,
// logs a one-line note when either flag was given.
void apply_gpu_math_flags(const GpuMathFlags& flags, const DeviceChoice& device);

// --no-cuda-graph, for the training tools (train, resume, finetune): every kernel of
// a GPU training iteration launched eagerly instead of replaying a captured CUDA graph.
void add_cuda_graph_flag(CLI::App& app, bool& no_cuda_graph);

}  // namespace cortado
