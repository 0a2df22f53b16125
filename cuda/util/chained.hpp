#pragma once
// The switch for chained kernel launches (gpu::launch, cuda/util/chained.cuh), for host
// code: kernels are started only from .cu files.

namespace cortado::gpu {

// Whether gpu::launch chains its kernels now: the device can (compute capability 9.0 or
// more) and set_chained_launches has not turned it off.
bool chained_launches();
// Process-wide, on by default: off, kernels start as `<<<>>>` starts them (the GPU
// benchmark times a step both ways, for the gain). Needs no device.
void set_chained_launches(bool on);

}  // namespace cortado::gpu
