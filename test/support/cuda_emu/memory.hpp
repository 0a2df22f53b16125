#pragma once
// cuda_emu's device memory: one reserved range that the host can read and write only
// while a kernel, copy or library call runs (an open access window); host code that
// dereferences a device pointer outside one faults, as it would on a GPU.
#include <cstddef>

namespace cudaemu {

// nullptr when the emulated device is full (or bytes is 0). New memory is filled with
// 0xff bytes (NaN as float), as uninitialised device memory must not read as zeros.
void* device_alloc(size_t bytes);
bool device_free(void* p);  // false: not the start of a live allocation
bool is_device(const void* p, size_t bytes = 1);
size_t device_used();
size_t device_capacity();

void* pinned_alloc(size_t bytes);
bool pinned_free(void* p);
bool is_pinned(const void* p);

// While one lives, the device range is readable and writable.
class DeviceAccess {
 public:
  DeviceAccess();
  ~DeviceAccess();
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
};

}  // namespace cudaemu
