#pragma once
// The device side of SyncedMemory. Implemented in cuda/ when the GPU backend is
// built; otherwise by device_memory_none.cpp, which says the build has no GPU.
#include <cstddef>

namespace cortado::device {
void* alloc_zeroed(size_t bytes);
void free(void* p);
void copy_to_host(void* host, const void* dev, size_t bytes);
void copy_to_device(void* dev, const void* host, size_t bytes);
// Device to device, queued on the stream (no wait).
void copy_on_device(void* to, const void* from, size_t bytes);
}  // namespace cortado::device
