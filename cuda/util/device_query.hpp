#pragma once
// What the CUDA runtime says about the machine's devices, in plain C++ types so
// that libcore (util/device.cpp) can ask without including CUDA headers.
#include <string>

namespace cortado::gpu {

// The number of CUDA devices; 0 when the runtime reports none or fails (no driver,
// driver too old), with the runtime's reason in *why when why is not null.
int device_count(std::string* why);
// "NVIDIA H100 80GB HBM3"
std::string device_name(int id);
// Makes `id` the process's device and creates its context now, so that a device in
// "prohibited" compute mode or held exclusively by another process is an Error naming it.
void select_device(int id);
// Waits until the work queued on the context's streams is done (Errors as check()).
void wait_for_stream();

}  // namespace cortado::gpu
