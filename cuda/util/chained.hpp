#pragma once
// The switch for chained kernel launches (gpu::launch, cuda/util/chained.cuh), for host
// code: kernels are started only from .cu files.

namespace cortado::gpu {

// Whether gpu::launch chains its kernels now: the device can (compute capability 9.0 or
// more), the kernels were built to wait (for 9.0 or more), set_chained_launches has not
// turned it off, and this thread is in no PlainLaunches scope.
bool chained_launches();
// Process-wide, on by default: off, kernels start as `<<<>>>` starts them (the GPU
// benchmark times a step both ways, for the gain). Needs no device.
void set_chained_launches(bool on);

// While one lives (and was made active), this thread's launches are plain: a CUDA graph
// whose capture failed with chained launches is captured again inside one.
class PlainLaunches {
 public:
  explicit PlainLaunches(bool active = true);
  ~PlainLaunches();
  PlainLaunches(const PlainLaunches&) = delete;
  PlainLaunches& operator=(const PlainLaunches&) = delete;

 private:
  bool active_;
};

}  // namespace cortado::gpu
