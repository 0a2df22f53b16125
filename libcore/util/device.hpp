#pragma once
// Which device a tool runs on, decided once from its --gpu flag and the solver's
// solver_mode / device_id, as Caffe's tools do. Shared by every tool that takes --gpu.
#include <string>

namespace cortado {

struct DeviceChoice {
  bool gpu = false;
  int id = -1;  // the CUDA device id when gpu, else -1
};

// gpu_flag: "" (not given), a device id ("0"), a comma-separated list ("0,1": the
// first is used) or "all" (device 0). A --gpu that cannot be honoured is an Error:
// a build without CUDA, no CUDA device, an id out of range. Without --gpu, an explicit
// solver_mode: GPU uses solver_device_id when a GPU is there and falls back to the CPU,
// with a warning, when none is (a Caffe solver file should still run on a laptop).
DeviceChoice choose_device(const std::string& gpu_flag, bool solver_mode_gpu, int solver_device_id);

// Logs the choice ("Use CPU." / "Use GPU with device ID 0") and, for a GPU, binds the
// process's GPU context to it; a busy or prohibited device is an Error naming it.
void activate_device(const DeviceChoice& choice);

// Waits until the GPU has done the work queued so far (kernels are launched
// asynchronously): for wall-clock timings of GPU work. Nothing on the CPU.
void wait_for_device(const DeviceChoice& choice);

// True when the CUDA backend is built in and the runtime reports at least one device.
bool gpu_available();

}  // namespace cortado
